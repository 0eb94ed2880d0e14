#pragma once
// File names in a PostgreSQL library. A UTF-8 database refuses text that is not UTF-8, but a file name is bytes.
// Names that are valid UTF-8 are stored as they are (so existing libraries need no migration); every byte of an
// invalid sequence, and of the marker itself, is stored as the marker U+FFFF followed by two hex digits.
// The encoding works sequence by sequence and '/' is plain ASCII, so encode(folder + "/" + name) ==
// encode(folder) + "/" + encode(name): the folder prefix ranges of images_under and forget stay correct.
#include <string>
#include <string_view>

namespace facesearch::pg {

std::string path_to_text(std::string_view bytes);
// The inverse of path_to_text (text without markers comes back unchanged).
std::string path_from_text(std::string_view text);

}  // namespace facesearch::pg
