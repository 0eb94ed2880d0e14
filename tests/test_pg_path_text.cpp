// File names that are not UTF-8 in a PostgreSQL library: the text encoding of library/postgres/pg_path_text.hpp.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "library/postgres/pg_path_text.hpp"

using facesearch::pg::path_from_text;
using facesearch::pg::path_to_text;

namespace {

// Well-formed UTF-8 as PostgreSQL checks it, written independently of the encoder: decode each code point.
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const unsigned char c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    const std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

}  // namespace

TEST(PgPathText, Utf8NamesAreStoredAsTheyAre) {
  for (const std::string name : {"/home/me/Pictures/tea.jpg", "/fotos/caf\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC.png",
                                 "/emoji/\xF0\x9F\x98\x80.jpg", "/"})
    EXPECT_EQ(path_to_text(name), name);
}

TEST(PgPathText, OtherBytesBecomeValidTextAndComeBack) {
  const std::string latin1 = "/photos/caf\xE9/amy\xFF\xFE.png";
  const std::string text = path_to_text(latin1);
  EXPECT_TRUE(valid_utf8(text)) << text;
  EXPECT_EQ(text, "/photos/caf\xEF\xBF\xBF" "E9/amy\xEF\xBF\xBF" "FF\xEF\xBF\xBF" "FE.png");
  EXPECT_EQ(path_from_text(text), latin1);
  // Overlong forms, surrogates and truncated sequences are not UTF-8 to PostgreSQL either.
  for (const std::string odd : {"/a\xC0\xAF", "/a\xED\xA0\x80", "/a\xE6\x97", "/a\xF4\x90\x80\x80", "/\xF8"}) {
    EXPECT_TRUE(valid_utf8(path_to_text(odd))) << odd;
    EXPECT_EQ(path_from_text(path_to_text(odd)), odd);
  }
}

TEST(PgPathText, TheMarkerInARealNameIsEscapedToo) {
  const std::string name = "/x/\xEF\xBF\xBF" "E9.jpg";  // U+FFFF then "E9": must not decode to the byte E9
  EXPECT_NE(path_to_text(name), name);
  EXPECT_EQ(path_from_text(path_to_text(name)), name);
}

// Random byte strings: valid text, lossless, distinct names stay distinct, and a folder's encoding followed by "/"
// prefixes the encoding of every name in it (what the prefix ranges of images_under and forget rely on).
TEST(PgPathText, RandomNamesRoundTripAndKeepFolderPrefixes) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(1, 255), length(0, 12);
  auto random_name = [&] {
    std::string s;
    for (int n = length(rng); n > 0; --n) {
      const int b = byte(rng);
      s += static_cast<char>(b == '/' ? 'x' : b);
    }
    return s;
  };
  for (int round = 0; round < 20000; ++round) {
    const std::string folder = "/" + random_name(), file = random_name();
    const std::string full = folder + "/" + file;
    const std::string text = path_to_text(full);
    ASSERT_TRUE(valid_utf8(text));
    ASSERT_EQ(path_from_text(text), full);
    ASSERT_EQ(text, path_to_text(folder) + "/" + path_to_text(file));
    const std::string other = full + random_name();
    if (other != full) {
      ASSERT_NE(path_to_text(other), text);
    }
  }
}
