// Face and Match as Python objects. Field names are the --json contract's (docs/CLI.md); to_dict() gives the very
// record the CLI prints (app/records.hpp), rounding included, while the attributes keep full precision.
#include "app/records.hpp"
#include "bindings.hpp"

namespace facesearch::python {

namespace {

py::tuple box_tuple(const Box& b) { return py::make_tuple(b.x1, b.y1, b.x2, b.y2); }

py::tuple landmarks_tuple(const Landmarks5& points) {
  py::tuple out(points.size());
  for (size_t i = 0; i < points.size(); ++i) out[i] = py::make_tuple(points[i].x, points[i].y);
  return out;
}

py::object seconds(const Face& f, MediaKind kind, std::int64_t FaceTime::*which) {
  if (kind != MediaKind::Video) return py::none();
  return py::float_(static_cast<double>(f.time.*which) / 1000.0);
}

py::object path_str(const std::filesystem::path& p) {
  // The file system's encoding with surrogate escapes, as os.fsdecode: os.fsencode gives back the exact name.
  return py::reinterpret_steal<py::object>(PyUnicode_DecodeFSDefaultAndSize(p.native().data(),
                                                                            static_cast<Py_ssize_t>(p.native().size())));
}

const char* kind_name(MediaKind kind) { return kind == MediaKind::Video ? "video" : "photo"; }

// The fields a Face and a Match share (both hold an engine Face, from a photo or a video).
template <class T, class GetFace, class GetKind>
void face_fields(py::class_<T>& cls, GetFace get, GetKind kind) {
  cls.def_property_readonly("box", [get](const T& self) { return box_tuple(get(self).box); },
                            "(x1, y1, x2, y2) in pixels of the upright image (of a video's frame).")
      .def_property_readonly("landmarks", [get](const T& self) { return landmarks_tuple(get(self).landmarks); },
                             "Five (x, y) points: left eye, right eye, nose tip, left and right mouth corner.")
      .def_property_readonly("score", [get](const T& self) { return get(self).score; }, "The detector's score.")
      .def_property_readonly("pose", [get](const T& self) { return to_python(pose_json(get(self).pose)); },
                             "{'yaw', 'pitch', 'roll'} in degrees (rough, from the five points), or None.")
      .def_property_readonly("quality", [get](const T& self) { return to_python(quality_json(get(self))); },
                             "{'sharpness', 'size', 'score'} as in the CLI's records.");
  const std::pair<const char*, std::int64_t FaceTime::*> times[] = {
      {"t_start", &FaceTime::first_ms}, {"t_end", &FaceTime::last_ms}, {"t_best", &FaceTime::best_ms}};
  for (const auto& [name, which] : times)
    cls.def_property_readonly(
        name, [get, kind, which](const T& self) { return seconds(get(self), kind(self), which); },
        "A video's face: first seen, last seen, seen best (t_start, t_end, t_best; seconds); None for photos.");
}

}  // namespace

py::list faces_list(ImageFaces&& found) {
  py::list out;
  for (auto& f : found.faces) out.append(py::cast(PyFace{std::move(f), found.kind, found.width, found.height}));
  return out;
}

py::list matches_list(std::vector<Match>&& matches) {
  py::list out;
  for (auto& m : matches) out.append(py::cast(std::move(m)));
  return out;
}

void bind_records(py::module_& m) {
  py::class_<PyFace> face(m, "Face", "A face found in an image: box, landmarks, score, pose, quality, embedding.");
  face_fields(face, [](const PyFace& f) -> const Face& { return f.face; }, [](const PyFace& f) { return f.kind; });
  face.def_property_readonly(
          "embedding",
          [](py::object self) -> py::object {
            const Face& f = self.cast<const PyFace&>().face;
            if (f.embedding.empty()) return py::none();
            // A read-only view of the face's own vector (no copy); the array keeps the Face alive.
            py::array_t<float> view(static_cast<py::ssize_t>(f.embedding.size()), f.embedding.data(), self);
            view.attr("setflags")(py::arg("write") = false);
            return view;
          },
          "The L2-normalised embedding: a read-only float32 numpy array sharing the Face's memory.")
      .def("to_dict",
           [](const PyFace& f, bool embedding) {
             nlohmann::json record = face_json(f.face, embedding);
             if (f.kind == MediaKind::Video) add_video_fields(record, f.face, f.frame_width, f.frame_height);
             return to_python(record);
           },
           py::arg("embedding") = false, "The face as the CLI's `faces --json` prints it (rounded numbers).")
      .def("__repr__", [](const PyFace& f) {
        const Box& b = f.face.box;
        return "Face(box=(" + std::to_string(b.x1) + ", " + std::to_string(b.y1) + ", " + std::to_string(b.x2) +
               ", " + std::to_string(b.y2) + "), score=" + std::to_string(f.face.score) + ")";
      });

  py::class_<Match> match(m, "Match", "A face matching a query: its file, similarity and face.");
  face_fields(match, [](const Match& x) -> const Face& { return x.face; }, [](const Match& x) { return x.kind; });
  match.def_property_readonly("path", [](const Match& x) { return path_str(x.path); }, "The file the face is in.")
      .def_property_readonly("similarity", [](const Match& x) { return x.similarity; },
                             "Cosine similarity to the query (-1..1).")
      .def_property_readonly("width", [](const Match& x) { return x.width; }, "Upright width of the photo (frame).")
      .def_property_readonly("height", [](const Match& x) { return x.height; }, "Upright height of the photo (frame).")
      .def_property_readonly("kind", [](const Match& x) { return kind_name(x.kind); }, "'photo' or 'video'.")
      .def_property_readonly("face_id", [](const Match& x) { return x.face_id ? py::object(py::int_(x.face_id)) : py::none(); },
                             "The library's face id (Library.search), None for Engine.scan.")
      .def_property_readonly("image_id", [](const Match& x) { return x.image_id ? py::object(py::int_(x.image_id)) : py::none(); },
                             "The library's image id (Library.search), None for Engine.scan.")
      .def("to_dict", [](const Match& x) { return to_python(match_json(x)); },
           "The match as the CLI's `scan --json` / `search --json` prints it (rounded numbers).")
      .def("__repr__", [](const Match& x) {
        return "Match(path=" + py::repr(path_str(x.path)).cast<std::string>() +
               ", similarity=" + std::to_string(x.similarity) + ")";
      });
}

}  // namespace facesearch::python
