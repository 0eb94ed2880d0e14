// Every number a user gives, on the command line or over HTTP, is read here: the whole text, finite, within
// [lo, hi]. NaN, infinities, overflow, trailing junk, and for integers fractions and signs out of range are
// refused, so no option check can be walked around with `nan`, `1e300` or `-5`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace facesearch::app {

std::optional<double> read_number(std::string_view text, double lo, double hi);
std::optional<long long> read_integer(std::string_view text, long long lo, long long hi);
// A number already parsed elsewhere (a JSON value): finite and within [lo, hi].
bool number_in_range(double value, double lo, double hi);

// What the refusal says: "NAME must be a number from LO to HI" (or "an integer from").
std::string number_rule(std::string_view name, double lo, double hi);
std::string integer_rule(std::string_view name, long long lo, long long hi);

}  // namespace facesearch::app
