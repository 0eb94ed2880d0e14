#include "models/download.hpp"

#include <unistd.h>

#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>

#include "models/model_pack.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

struct Transfer {
  CURL* curl = nullptr;
  std::FILE* file = nullptr;
  std::uint64_t offset = 0;   // bytes of the .part we asked the server to skip
  std::uint64_t written = 0;  // bytes written by this run
  bool first_chunk = true;
  bool write_failed = false;
  bool quiet = true;
  std::chrono::steady_clock::time_point last_report{};
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->first_chunk) {
    t->first_chunk = false;
    long code = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    // A server that ignores Range sends the whole file with 200: the .part's bytes must go, not be doubled.
    if (t->offset > 0 && code == 200) {
      std::fflush(t->file);
      if (ftruncate(fileno(t->file), 0) != 0) {
        t->write_failed = true;
        return 0;
      }
      t->offset = 0;
    }
  }
  const size_t bytes = size * count;
  if (std::fwrite(data, 1, bytes, t->file) != bytes) {
    t->write_failed = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  t->written += bytes;
  return bytes;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->quiet || total <= 0) return 0;
  const auto tick = std::chrono::steady_clock::now();
  if (tick - t->last_report < std::chrono::seconds(2) && now < total) return 0;
  t->last_report = tick;
  const double mib = 1024.0 * 1024.0;
  std::fprintf(stderr, "  %.1f / %.1f MiB\n", static_cast<double>(t->offset + static_cast<std::uint64_t>(now)) / mib,
               static_cast<double>(t->offset + static_cast<std::uint64_t>(total)) / mib);
  return 0;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string explain(CURLcode rc, const char* detail, const std::string& url, long http_code,
                    std::uint64_t kept) {
  const std::string what = detail && *detail ? detail : curl_easy_strerror(rc);
  const std::string resume = kept ? " (" + std::to_string(kept) + " bytes kept; run again to resume)" : "";
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "cannot resolve the host of " + url + ": no network or DNS (offline?) [" + what + "]";
    case CURLE_COULDNT_CONNECT:
      return "cannot connect to " + url + ": no route or connection refused (offline?) [" + what + "]";
    case CURLE_OPERATION_TIMEDOUT:
      return "download of " + url + " stalled" + resume + " [" + what + "]";
    case CURLE_HTTP_RETURNED_ERROR:
      return "server answered HTTP " + std::to_string(http_code) + " for " + url;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return "download of " + url + " was interrupted" + resume + " [" + what + "]";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
      return "TLS failure talking to " + url + " [" + what + "]";
    default:
      return "cannot download " + url + ": " + what + resume;
  }
}

}  // namespace

DownloadResult download_file(const std::string& url, const fs::path& dest, const DownloadOptions& options) {
  init_curl_once();
  const fs::path part = dest.string() + ".part";
  std::error_code ec;
  if (!dest.parent_path().empty()) fs::create_directories(dest.parent_path(), ec);

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw DownloadError("cannot initialise libcurl");
  Transfer t;
  t.curl = curl.get();
  t.quiet = options.quiet;
  t.offset = fs::is_regular_file(part, ec) ? fs::file_size(part, ec) : 0;
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(part.c_str(), "ab"), &std::fclose);
  if (!file) throw DownloadError("cannot write " + part.string());
  t.file = file.get();

  char errbuf[CURL_ERROR_SIZE] = {0};
  const std::string range = std::to_string(t.offset) + "-";
  curl_easy_setopt(t.curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(t.curl, CURLOPT_FOLLOWLOCATION, 1L);  // release assets redirect to a CDN
  curl_easy_setopt(t.curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(t.curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(t.curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(t.curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(t.curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(t.curl, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_s);
  curl_easy_setopt(t.curl, CURLOPT_USERAGENT, "facesearch-models/1");
  curl_easy_setopt(t.curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(t.curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(t.curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(t.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(t.curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(t.curl, CURLOPT_NOPROGRESS, 0L);
  // A plain Range header (not CURLOPT_RESUME_FROM) so a 200 answer can be handled by starting over.
  if (t.offset > 0) curl_easy_setopt(t.curl, CURLOPT_RANGE, range.c_str());

  const CURLcode rc = curl_easy_perform(t.curl);
  long http_code = 0;
  curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &http_code);
  file.reset();
  if (t.write_failed) throw DownloadError("cannot write " + part.string() + " (disk full?)");
  if (rc != CURLE_OK) {
    // 416: the .part is already as long as the file (or longer): its bytes are suspect, start over next time.
    if (rc == CURLE_HTTP_RETURNED_ERROR && http_code == 416) fs::remove(part, ec);
    const std::uint64_t kept = fs::is_regular_file(part, ec) ? fs::file_size(part, ec) : 0;
    throw DownloadError(explain(rc, errbuf, url, http_code, kept));
  }

  DownloadResult result;
  result.resumed_from = t.offset;
  result.bytes = fs::file_size(part);
  result.sha256 = sha256_file(part);
  if (!options.expected_sha256.empty() && result.sha256 != options.expected_sha256) {
    fs::remove(part, ec);
    throw DownloadError("downloaded " + url + " has sha256 " + result.sha256 + ", expected " +
                        options.expected_sha256 + ": refused and deleted");
  }
  fs::rename(part, dest);
  return result;
}

}  // namespace facesearch
