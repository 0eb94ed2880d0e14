// facesearch.Library (the C++ part): index, search, status, forget and the people of a library (a directory or a
// postgresql:// URL), through the same app::Session use cases as `facesearch index|search|status|forget|people`.
#include "app/records.hpp"
#include "bindings.hpp"

namespace facesearch::python {

namespace {

// Calls a Python progress function from the indexing workers; the first exception it raises ends the reports and
// is raised again by index() once the run is over.
class ProgressReporter {
 public:
  explicit ProgressReporter(py::object callback) : callback_(std::move(callback)) {}

  void operator()(size_t done, size_t total, size_t faces) {
    py::gil_scoped_acquire gil;
    if (failed_) return;
    try {
      callback_(done, total, faces);
    } catch (py::error_already_set& e) {
      failed_ = std::make_unique<py::error_already_set>(std::move(e));
    }
  }

  void rethrow() {
    if (failed_) throw std::move(*failed_);
  }

 private:
  py::object callback_;
  std::unique_ptr<py::error_already_set> failed_;
};

class PyLibrary : public SessionOwner {
 public:
  using SessionOwner::SessionOwner;

  py::object index(py::handle paths, py::object progress, bool reembed) {
    const std::vector<std::filesystem::path> roots = to_paths(paths);
    ProgressReporter reporter(progress);
    BatchCallbacks callbacks;
    if (!progress.is_none()) callbacks.on_progress = std::ref(reporter);
    IndexReport report;
    {
      py::gil_scoped_release release;
      report = session_->index(roots, reembed, callbacks);
    }
    reporter.rethrow();
    return to_python(index_report_json(report));
  }

  py::list search(py::handle query, size_t top, std::optional<float> threshold, bool rgb, const std::string& query_face,
                  const std::string& person) {
    std::vector<Embedding> queries;
    // Several photos (a list or tuple) make one better query, as `search -q a.jpg -q b.jpg`.
    if (py::isinstance<py::list>(query) || py::isinstance<py::tuple>(query)) {
      for (const py::handle q : query) queries.push_back(query_embedding(*session_, q, rgb, query_face));
    } else {
      queries.push_back(query_embedding(*session_, query, rgb, query_face));
    }
    app::SearchRequest request;
    request.threshold = threshold ? checked_threshold(threshold) : threshold_;
    request.top = top;
    request.person = person;
    app::SearchResult result;
    {
      py::gil_scoped_release release;
      result = session_->search(queries, request);
    }
    return matches_list(std::move(result.matches));
  }

  py::object status() {
    LibraryStatus s;
    {
      py::gil_scoped_release release;
      s = session_->status();
    }
    return to_python(status_json(s));
  }

  size_t forget(py::handle paths) {
    const std::vector<std::filesystem::path> files = to_paths(paths);
    py::gil_scoped_release release;
    return session_->forget(files);
  }

  py::list people() {
    std::vector<people::PersonSummary> found;
    {
      py::gil_scoped_release release;
      found = session_->list_people();
    }
    py::list out;
    for (const auto& p : found) out.append(to_python(person_json(p)));
    return out;
  }

  py::list person_faces(const std::string& person, size_t top) {
    app::PersonMatches found;
    {
      py::gil_scoped_release release;
      found = session_->person_matches(person, top);
    }
    return matches_list(std::move(found.matches));
  }

  std::string location() const { return session_->library_spec(); }
};

}  // namespace

void bind_library(py::module_& m) {
  py::class_<PyLibrary>(m, "Library", "A face library (use facesearch.Library, which documents the options).")
      .def(py::init<const py::dict&>(), py::arg("options"))
      .def("index", &PyLibrary::index, py::arg("paths"), py::arg("progress") = py::none(), py::arg("reembed") = false)
      .def("search", &PyLibrary::search, py::arg("query"), py::arg("top") = 10, py::arg("threshold") = py::none(),
           py::arg("rgb") = false, py::arg("query_face") = "best", py::arg("person") = "")
      .def("status", &PyLibrary::status)
      .def("forget", &PyLibrary::forget, py::arg("paths"))
      .def("people", &PyLibrary::people)
      .def("person_faces", &PyLibrary::person_faces, py::arg("person"), py::arg("top") = 0)
      .def_property_readonly("location", &PyLibrary::location)
      .def_property_readonly("threshold", &PyLibrary::threshold);
}

}  // namespace facesearch::python
