// The Python package's extension (facesearch._core): what its files share. Everything goes through the application
// layer (app::Session), as the CLI and the server do, so Python gets the same faces, matches and messages.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "app/session.hpp"

namespace facesearch::python {

namespace py = pybind11;

// Raised as facesearch.NoFaceError: the CLI's "no face found in the query ..." (exit code 1).
class NoFaceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Raised as FileNotFoundError with the CLI's message "no such file or directory: ...".
class MissingFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An image argument, converted while the GIL is held; analysed after it is released.
struct ImageArg {
  enum class Kind { Path, Bytes, Pixels } kind = Kind::Path;
  std::filesystem::path path;          // Kind::Path, and the name used in messages
  py::object owner;                    // keeps the bytes or the array alive during the call
  std::span<const std::uint8_t> bytes;  // Kind::Bytes: the encoded file
  DecodedImage pixels;                 // Kind::Pixels: BGR, wrapping the array's memory when it was BGR already
};

// str or os.PathLike, with ~ expanded as a shell would.
std::filesystem::path to_path(py::handle value);
// One path or an iterable of paths.
std::vector<std::filesystem::path> to_paths(py::handle value);
// A path, the bytes of an encoded image file, or an HxWx3 uint8 numpy array (BGR, or RGB when `rgb`).
ImageArg to_image(py::handle image, bool rgb);
// Analyses the image with the session's engines. Call without the GIL. Throws ImageError, MissingFileError.
app::QueryPhoto analyse(app::Session& session, const ImageArg& image, const std::string& which);
// A query: an image (its chosen face's embedding; NoFaceError when there is none) or a 1-D float embedding.
Embedding query_embedding(app::Session& session, py::handle query, bool rgb, const std::string& which);

// What Engine(...) and Library(...) were given (a dict built by facesearch/__init__.py), as session options.
app::SessionOptions session_options(const py::dict& options);
// A similarity threshold: within [-1, 1] (ValueError with the CLI's rule otherwise); none: the pack's.
std::optional<float> checked_threshold(std::optional<float> threshold);
std::optional<float> optional_threshold(const py::dict& options);

// What Engine and Library are built on: one app::Session made from the Python options (the GIL released while it
// resolves the pack, which reads manifests and may verify model files), and the threshold they were given.
class SessionOwner {
 public:
  explicit SessionOwner(const py::dict& options);
  float threshold() const { return session_->threshold(threshold_); }

 protected:
  std::optional<float> threshold_;
  std::unique_ptr<app::Session> session_;
};

// A face as Python sees it: the engine's face and what its file was (a video's faces carry times).
struct PyFace {
  Face face;
  MediaKind kind = MediaKind::Photo;
  int frame_width = 0, frame_height = 0;  // a video's frame size (its records carry it)
};
py::list faces_list(ImageFaces&& found);
py::list matches_list(std::vector<Match>&& matches);
// nlohmann JSON (a record of app/records.hpp) as Python dicts, lists, numbers and strings.
py::object to_python(const nlohmann::json& value);

void bind_records(py::module_& m);  // Face, Match
void bind_engine(py::module_& m);
void bind_library(py::module_& m);

}  // namespace facesearch::python
