// The page's static files (web/), compiled into the program by embed_web.cmake so it needs no install dir.
#pragma once

#include <span>
#include <string_view>

namespace facesearch::server {

struct WebAsset {
  std::string_view name;  // file name under web/, e.g. "app.js"
  std::string_view mime;
  std::string_view data;
};

std::span<const WebAsset> web_assets();

}  // namespace facesearch::server
