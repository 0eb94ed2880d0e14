// Python arguments to the application layer's types: paths, images, query embeddings, session options.
#include <thread>

#include <opencv2/imgproc.hpp>

#include "app/numbers.hpp"
#include "app/records.hpp"
#include "bindings.hpp"

namespace fs = std::filesystem;

namespace facesearch::python {

fs::path to_path(py::handle value) {
  const py::module_ os = py::module_::import("os");
  const py::object text = os.attr("path").attr("expanduser")(os.attr("fspath")(value));
  // File names are bytes: os.fsencode gives back the exact ones, whatever their encoding.
  return fs::path(os.attr("fsencode")(text).cast<std::string>());
}

std::vector<fs::path> to_paths(py::handle value) {
  if (py::isinstance<py::str>(value) || py::isinstance<py::bytes>(value) ||
      py::hasattr(value, "__fspath__"))
    return {to_path(value)};
  std::vector<fs::path> paths;
  for (const py::handle item : py::iter(value)) paths.push_back(to_path(item));
  return paths;
}

namespace {

ImageArg pixels_from_array(py::handle image, bool rgb) {
  // Only uint8 arrays are taken (no silent conversion of floats); a non-contiguous one is copied once.
  auto array = py::isinstance<py::array_t<std::uint8_t>>(image)
                   ? py::array_t<std::uint8_t, py::array::c_style>::ensure(image)
                   : py::array_t<std::uint8_t, py::array::c_style>();
  if (!array || array.ndim() != 3 || array.shape(2) != 3)
    throw py::value_error("an image array must be HxWx3 uint8 (BGR, or RGB with rgb=True)");
  ImageArg arg;
  arg.kind = ImageArg::Kind::Pixels;
  arg.path = "<array>";
  const int rows = static_cast<int>(array.shape(0)), cols = static_cast<int>(array.shape(1));
  // A view of the array's memory, not a copy; an RGB array becomes a new BGR image.
  cv::Mat view(rows, cols, CV_8UC3, const_cast<std::uint8_t*>(array.data()));
  if (rgb)
    cv::cvtColor(view, arg.pixels.bgr, cv::COLOR_RGB2BGR);
  else
    arg.pixels.bgr = view;
  arg.pixels.width = cols;
  arg.pixels.height = rows;
  arg.owner = std::move(array);
  return arg;
}

}  // namespace

ImageArg to_image(py::handle image, bool rgb) {
  if (py::isinstance<py::bytes>(image) || py::isinstance<py::bytearray>(image)) {
    ImageArg arg;
    arg.kind = ImageArg::Kind::Bytes;
    arg.path = "<bytes>";
    // bytes are immutable; a bytearray is copied once, so the call never sees it change.
    arg.owner = py::isinstance<py::bytes>(image)
                    ? py::reinterpret_borrow<py::object>(image)
                    : py::bytes(PyByteArray_AsString(image.ptr()), static_cast<size_t>(PyByteArray_Size(image.ptr())));
    char* data = nullptr;
    Py_ssize_t size = 0;
    PyBytes_AsStringAndSize(arg.owner.ptr(), &data, &size);
    arg.bytes = {reinterpret_cast<const std::uint8_t*>(data), static_cast<size_t>(size)};
    return arg;
  }
  if (py::isinstance<py::array>(image)) return pixels_from_array(image, rgb);
  ImageArg arg;
  arg.path = to_path(image);
  return arg;
}

app::QueryPhoto analyse(app::Session& session, const ImageArg& image, const std::string& which) {
  switch (image.kind) {
    case ImageArg::Kind::Bytes:
      return session.analyze_query(image.bytes, which);
    case ImageArg::Kind::Pixels:
      return session.analyze_query(image.pixels, which);
    case ImageArg::Kind::Path:
      break;
  }
  std::error_code ec;
  if (!fs::exists(image.path, ec)) throw MissingFileError("no such file or directory: " + image.path.string());
  return session.analyze_query(image.path, which);
}

Embedding query_embedding(app::Session& session, py::handle query, bool rgb, const std::string& which) {
  if (py::isinstance<py::array>(query) && py::array(py::reinterpret_borrow<py::object>(query)).ndim() == 1) {
    auto vector = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(query);
    const size_t dimension = static_cast<size_t>(session.pack().embedding_dim());
    if (!vector || static_cast<size_t>(vector.size()) != dimension)
      throw py::value_error("a query embedding must be a 1-D float array of " + std::to_string(dimension) +
                            " numbers (the pack's dimension)");
    return Embedding(vector.data(), vector.data() + vector.size());
  }
  const ImageArg image = to_image(query, rgb);
  app::QueryPhoto photo;
  {
    py::gil_scoped_release release;
    photo = analyse(session, image, which);
  }
  if (const Face* face = photo.face()) return face->embedding;
  const std::string name = image.path.string();
  if (photo.found.faces.empty()) throw NoFaceError("no face found in the query " + name);
  throw NoFaceError("the query has " + std::to_string(photo.found.faces.size()) + " face(s); there is no face " + which);
}

std::optional<float> checked_threshold(std::optional<float> threshold) {
  if (threshold && !app::number_in_range(*threshold, -1, 1))
    throw py::value_error(app::number_rule("threshold", -1, 1));  // the CLI's --threshold rule
  return threshold;
}

std::optional<float> optional_threshold(const py::dict& options) {
  if (!options.contains("threshold") || options["threshold"].is_none()) return std::nullopt;
  return checked_threshold(options["threshold"].cast<float>());
}

SessionOwner::SessionOwner(const py::dict& options) : threshold_(optional_threshold(options)) {
  const app::SessionOptions s = session_options(options);
  py::gil_scoped_release release;
  session_ = std::make_unique<app::Session>(s);
}

app::SessionOptions session_options(const py::dict& options) {
  // The CLI's defaults (cli/common.hpp CommonOptions) when an option is not given.
  const auto get = [&](const char* key, auto fallback) {
    return options.contains(key) && !options[key].is_none() ? options[key].cast<decltype(fallback)>() : fallback;
  };
  app::SessionOptions s;
  s.engine.pack_id = get("pack", std::string(kDefaultPack));
  if (options.contains("models_dir") && !options["models_dir"].is_none())
    s.engine.models_root = to_path(options["models_dir"]);
  s.engine.find.min_face = get("min_face", 20.0f);
  const std::string small = get("small_faces", std::string("auto"));
  if (small != "auto" && small != "on" && small != "off")
    throw py::value_error("small_faces must be 'auto', 'on' or 'off'");
  s.engine.find.small_faces = small == "on" ? SmallFaces::On : small == "off" ? SmallFaces::Off : SmallFaces::Auto;
  s.engine.max_pixels = static_cast<std::uint64_t>(get("max_megapixels", 100.0) * 1e6);
  s.engine.video_fps = get("video_fps", 2.0);
  s.engine.max_video_seconds = get("max_video_minutes", 0.0) * 60;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  s.jobs = get("jobs", cores);
  if (s.jobs < 1) throw py::value_error("jobs must be at least 1");
  // Engines for queries are made on first need, one per Python thread analysing at once, up to `engines`.
  s.engines = static_cast<size_t>(get("engines", cores));
  if (options.contains("library") && !options["library"].is_none()) {
    const py::object library = options["library"];
    const std::string text = py::str(library);
    s.library = text.rfind("postgres", 0) == 0 ? text : to_path(library).string();
  }
  s.create_library = get("create", true);
  return s;
}

py::object to_python(const nlohmann::json& value) {
  return py::module_::import("json").attr("loads")(json_text(value));
}

}  // namespace facesearch::python
