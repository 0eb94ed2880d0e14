#include "app/numbers.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace facesearch::app {

std::optional<double> read_number(std::string_view text, double lo, double hi) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || stop != end || !number_in_range(value, lo, hi)) return std::nullopt;
  return value;
}

std::optional<long long> read_integer(std::string_view text, long long lo, long long hi) {
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || stop != end || value < lo || value > hi) return std::nullopt;
  return value;
}

bool number_in_range(double value, double lo, double hi) { return std::isfinite(value) && value >= lo && value <= hi; }

static std::string shortest(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

std::string number_rule(std::string_view name, double lo, double hi) {
  return std::string(name) + " must be a number from " + shortest(lo) + " to " + shortest(hi);
}

std::string integer_rule(std::string_view name, long long lo, long long hi) {
  return std::string(name) + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
}

}  // namespace facesearch::app
