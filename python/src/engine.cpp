// facesearch.Engine (the C++ part): faces of an image, its embedding, and `scan` (search without a library).
#include "bindings.hpp"

namespace facesearch::python {

namespace {

class PyEngine : public SessionOwner {
 public:
  using SessionOwner::SessionOwner;

  py::list faces(py::handle image, bool rgb) {
    const ImageArg arg = to_image(image, rgb);
    app::QueryPhoto photo;
    {
      py::gil_scoped_release release;
      photo = analyse(*session_, arg, "best");
    }
    return faces_list(std::move(photo.found));
  }

  py::array_t<float> embed(py::handle image, bool rgb, const std::string& query_face) {
    // The vector moves into a capsule the array owns: no copy.
    auto* owned = new Embedding(query_embedding(*session_, image, rgb, query_face));
    py::capsule free_it(owned, [](void* p) { delete static_cast<Embedding*>(p); });
    return py::array_t<float>(static_cast<py::ssize_t>(owned->size()), owned->data(), free_it);
  }

  py::list scan(py::handle query, py::handle targets, std::optional<float> threshold, size_t top, bool rgb,
                const std::string& query_face, bool recursive) {
    const Embedding embedding = query_embedding(*session_, query, rgb, query_face);
    const std::vector<std::filesystem::path> roots = to_paths(targets);
    app::SearchRequest request;
    request.threshold = threshold ? checked_threshold(threshold) : threshold_;
    request.top = top;
    ScanResult result;
    {
      py::gil_scoped_release release;
      result = session_->scan(embedding, roots, recursive, request);
    }
    return matches_list(std::move(result.matches));
  }

  std::string pack() const { return session_->pack().id; }
  int dimension() const { return session_->pack().embedding_dim(); }
};

}  // namespace

void bind_engine(py::module_& m) {
  py::class_<PyEngine>(m, "Engine", "The face engine (use facesearch.Engine, which documents the options).")
      .def(py::init<const py::dict&>(), py::arg("options"))
      .def("faces", &PyEngine::faces, py::arg("image"), py::arg("rgb") = false)
      .def("embed", &PyEngine::embed, py::arg("image"), py::arg("rgb") = false, py::arg("query_face") = "best")
      .def("scan", &PyEngine::scan, py::arg("query"), py::arg("targets"), py::arg("threshold") = py::none(),
           py::arg("top") = 0, py::arg("rgb") = false, py::arg("query_face") = "best", py::arg("recursive") = true)
      .def_property_readonly("pack", &PyEngine::pack)
      .def_property_readonly("threshold", &PyEngine::threshold)
      .def_property_readonly("dimension", &PyEngine::dimension);
}

}  // namespace facesearch::python
