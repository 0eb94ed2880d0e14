#include "image/gif.hpp"

#include <array>
#include <string>
#include <vector>

#include "image/image.hpp"

namespace facesearch::detail {

namespace {

using Bytes = std::span<const std::uint8_t>;

// Sequential reader that refuses to run past the end of the data.
class Cursor {
 public:
  explicit Cursor(Bytes bytes) : bytes_(bytes) {}

  std::uint8_t u8() {
    need(1);
    return bytes_[pos_++];
  }
  int u16() {
    need(2);
    const int v = bytes_[pos_] | bytes_[pos_ + 1] << 8;
    pos_ += 2;
    return v;
  }
  Bytes take(std::size_t n) {
    need(n);
    Bytes out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  void need(std::size_t n) const {
    if (bytes_.size() - pos_ < n) throw ImageError("truncated GIF");
  }

  Bytes bytes_;
  std::size_t pos_ = 0;
};

// A run of data sub-blocks (length byte, payload; a zero length ends the run), concatenated.
std::vector<std::uint8_t> read_sub_blocks(Cursor& in) {
  std::vector<std::uint8_t> out;
  while (const std::uint8_t n = in.u8()) {
    Bytes block = in.take(n);
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

// Places decoded colour indices on the canvas in stream order, following the interlaced row order if any.
class FrameWriter {
 public:
  FrameWriter(cv::Mat& canvas, cv::Rect frame, bool interlaced, Bytes palette, int transparent)
      : canvas_(canvas), frame_(frame), palette_(palette), transparent_(transparent) {
    rows_.reserve(static_cast<std::size_t>(frame.height));
    if (interlaced) {
      // Four passes: every 8th row from 0, every 8th from 4, every 4th from 2, every 2nd from 1.
      for (auto [start, step] : {std::pair{0, 8}, {4, 8}, {2, 4}, {1, 2}})
        for (int y = start; y < frame.height; y += step) rows_.push_back(y);
    } else {
      for (int y = 0; y < frame.height; ++y) rows_.push_back(y);
    }
  }

  bool full() const { return row_ >= rows_.size(); }

  void put(std::uint8_t index) {
    if (full()) return;  // surplus data after the last row is ignored, as viewers do
    const int x = frame_.x + col_, y = frame_.y + rows_[row_];
    if (index != transparent_ && x < canvas_.cols && y < canvas_.rows) {
      const std::size_t at = 3u * index;
      // An index beyond the palette shows as black.
      cv::Vec3b bgr(0, 0, 0);
      if (at + 2 < palette_.size()) bgr = {palette_[at + 2], palette_[at + 1], palette_[at]};
      canvas_.at<cv::Vec3b>(y, x) = bgr;
    }
    if (++col_ == frame_.width) {
      col_ = 0;
      ++row_;
    }
  }

 private:
  cv::Mat& canvas_;
  cv::Rect frame_;
  Bytes palette_;
  int transparent_;
  std::vector<int> rows_;
  std::size_t row_ = 0;
  int col_ = 0;
};

// Variable-width LZW as GIF uses it: codes packed LSB first, width growing up to 12 bits, clear and end
// codes.
void lzw_decode(Bytes data, int min_code_size, FrameWriter& out) {
  constexpr int kMaxCodes = 4096;
  constexpr std::uint16_t kNone = 0xFFFF;
  const int clear = 1 << min_code_size, end = clear + 1;
  // Each table entry is a string: the entry for its prefix plus one last index.
  std::array<std::uint16_t, kMaxCodes> prefix;
  std::array<std::uint8_t, kMaxCodes> last;
  std::array<std::uint8_t, kMaxCodes> spelt;  // one entry written out, last index first
  for (int i = 0; i < clear; ++i) {
    prefix[static_cast<std::size_t>(i)] = kNone;
    last[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  }
  // Writes `code` out into `spelt` and returns its length; prefixes always have smaller codes, so this ends.
  auto spell = [&](int code) {
    std::size_t n = 0;
    for (std::uint16_t c = static_cast<std::uint16_t>(code); c != kNone; c = prefix[c]) spelt[n++] = last[c];
    return n;
  };

  int width = min_code_size + 1, next = end + 1, prev = -1;
  std::uint32_t bits = 0;
  int nbits = 0;
  std::size_t pos = 0;
  while (!out.full()) {
    while (nbits < width && pos < data.size()) {
      bits |= static_cast<std::uint32_t>(data[pos++]) << nbits;
      nbits += 8;
    }
    if (nbits < width) break;  // data ran out; the caller notices the missing pixels
    const int code = static_cast<int>(bits & ((1u << width) - 1));
    bits >>= width;
    nbits -= width;

    if (code == clear) {
      width = min_code_size + 1;
      next = end + 1;
      prev = -1;
      continue;
    }
    if (code == end) break;
    if (prev < 0) {  // the first code after a clear must be a single index
      if (code > clear) throw ImageError("corrupt GIF data (bad LZW code)");
      out.put(static_cast<std::uint8_t>(code));
      prev = code;
      continue;
    }
    std::uint8_t first;
    if (code < next) {
      const std::size_t n = spell(code);
      first = spelt[n - 1];
      for (std::size_t i = n; i-- > 0;) out.put(spelt[i]);
    } else if (code == next && next < kMaxCodes) {
      // The string being defined right now: the previous one plus its own first index.
      const std::size_t n = spell(prev);
      first = spelt[n - 1];
      for (std::size_t i = n; i-- > 0;) out.put(spelt[i]);
      out.put(first);
    } else {
      throw ImageError("corrupt GIF data (bad LZW code)");
    }
    if (next < kMaxCodes) {
      prefix[static_cast<std::size_t>(next)] = static_cast<std::uint16_t>(prev);
      last[static_cast<std::size_t>(next)] = first;
      ++next;
      if (next == 1 << width && width < 12) ++width;
    }
    prev = code;
  }
}

}  // namespace

cv::Mat decode_gif(Bytes bytes, std::uint64_t max_pixels) {
  Cursor in(bytes);
  in.take(6);  // "GIF87a" / "GIF89a", checked by the caller
  const int screen_w = in.u16(), screen_h = in.u16();
  const std::uint8_t screen_flags = in.u8();
  in.take(2);  // background colour and aspect ratio: viewers ignore both
  Bytes global_palette;
  if (screen_flags & 0x80) global_palette = in.take(3u * (2u << (screen_flags & 7)));
  if (screen_w <= 0 || screen_h <= 0) throw ImageError("corrupt GIF header (zero size)");
  // The canvas is what gets allocated: held to the limit here, not only by the caller's probe of the same header.
  if (static_cast<std::uint64_t>(screen_w) * static_cast<std::uint64_t>(screen_h) > max_pixels)
    throw ImageError("image too large: GIF screen of " + std::to_string(screen_w) + "x" +
                     std::to_string(screen_h));

  int transparent = -1;
  for (;;) {
    const std::uint8_t block = in.u8();
    if (block == 0x21) {  // extension
      const std::uint8_t label = in.u8();
      const std::vector<std::uint8_t> data = read_sub_blocks(in);
      // Graphic control: flags, delay (2 bytes), transparent index.
      if (label == 0xF9 && data.size() >= 4) transparent = (data[0] & 1) ? data[3] : -1;
    } else if (block == 0x2C) {  // image descriptor: the first frame
      cv::Rect frame;
      frame.x = in.u16();
      frame.y = in.u16();
      frame.width = in.u16();
      frame.height = in.u16();
      const std::uint8_t flags = in.u8();
      Bytes palette = global_palette;
      if (flags & 0x80) palette = in.take(3u * (2u << (flags & 7)));
      if (frame.width == 0 || frame.height == 0) throw ImageError("corrupt GIF data (empty frame)");
      if (static_cast<std::uint64_t>(frame.width) * static_cast<std::uint64_t>(frame.height) > max_pixels)
        throw ImageError("image too large: GIF frame of " + std::to_string(frame.width) + "x" +
                         std::to_string(frame.height));
      const int min_code_size = in.u8();
      if (min_code_size < 1 || min_code_size > 8) throw ImageError("corrupt GIF data (bad LZW code size)");
      const std::vector<std::uint8_t> data = read_sub_blocks(in);

      cv::Mat canvas(screen_h, screen_w, CV_8UC3, cv::Scalar(255, 255, 255));
      FrameWriter writer(canvas, frame, (flags & 0x40) != 0, palette, transparent);
      lzw_decode(data, min_code_size, writer);
      if (!writer.full()) throw ImageError("truncated or corrupt GIF (image data ends early)");
      return canvas;
    } else if (block == 0x3B) {
      throw ImageError("corrupt GIF data (no image in the file)");
    } else {
      throw ImageError("corrupt GIF data (unknown block)");
    }
  }
}

}  // namespace facesearch::detail
