// Load test client for `facesearch serve`: a bounded number of requests from N concurrent keep-alive clients to a
// server on loopback, then the latency distribution. bench/load_server.sh starts the server and runs this.
//
//   bench_load_server --port 8080 --photos DIR --kind upload --requests 1000 --clients 8 [--token-file F]
//
// Kinds: upload (POST /api/search with a photo: detection + embedding + search), face (POST /api/search with a
// face id: search only), thumbnail (GET /api/faces/{id}/thumbnail). Exits 1 if any request failed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  int port = 8080;
  std::string photos;
  std::string kind = "upload";
  int requests = 1000;
  int clients = 8;
  double max_seconds = 600;  // stops by itself even if the server is slow
  std::string token_file;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "bench_load_server: %s\n", why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + k).c_str());
    const std::string v = argv[++i];
    if (k == "--port") a.port = std::stoi(v);
    else if (k == "--photos") a.photos = v;
    else if (k == "--kind") a.kind = v;
    else if (k == "--requests") a.requests = std::stoi(v);
    else if (k == "--clients") a.clients = std::stoi(v);
    else if (k == "--max-seconds") a.max_seconds = std::stod(v);
    else if (k == "--token-file") a.token_file = v;
    else usage(("unknown option " + k).c_str());
  }
  if (a.photos.empty()) usage("--photos DIR is required");
  if (a.kind != "upload" && a.kind != "face" && a.kind != "thumbnail") usage("--kind must be upload, face or thumbnail");
  if (a.requests < 1 || a.clients < 1) usage("--requests and --clients must be positive");
  return a;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double percentile(std::vector<double> sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  std::string token;
  if (!args.token_file.empty()) {
    token = read_all(args.token_file);
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  }
  auto make_client = [&] {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", args.port);
    c->set_read_timeout(120);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);  // as browsers do: a request's headers and body are separate writes
    if (!token.empty()) c->set_bearer_token_auth(token);
    return c;
  };

  // The photos, read once: the test measures the server, not this disk.
  std::vector<std::pair<std::string, std::string>> photos;  // name, bytes
  for (auto& e : fs::recursive_directory_iterator(args.photos)) {
    const auto ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png"))
      photos.emplace_back(e.path().filename().string(), read_all(e.path()));
  }
  std::sort(photos.begin(), photos.end());
  if (photos.empty()) usage("no photos under --photos");

  // Warm-up (not measured): every photo searched once, which loads every Engine and gives face ids to ask for.
  std::vector<std::int64_t> face_ids;
  {
    auto c = make_client();
    for (const auto& [name, bytes] : photos) {
      auto r = c->Post("/api/search", httplib::MultipartFormDataItems{{"image", bytes, name, "image/jpeg"}});
      if (!r || r->status != 200) {
        std::fprintf(stderr, "warm-up search of %s failed: %s\n", name.c_str(),
                     r ? r->body.c_str() : httplib::to_string(r.error()).c_str());
        return 1;
      }
      const json found = json::parse(r->body);
      for (const auto& m : found["matches"]) face_ids.push_back(m["face_id"].get<std::int64_t>());
    }
  }
  std::sort(face_ids.begin(), face_ids.end());
  face_ids.erase(std::unique(face_ids.begin(), face_ids.end()), face_ids.end());
  if (face_ids.empty()) usage("the library found no faces for these photos: index them first");

  std::atomic<int> next{0}, errors{0};
  std::mutex mutex;
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(args.requests));
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.max_seconds));
  std::vector<std::thread> clients;
  for (int t = 0; t < args.clients; ++t)
    clients.emplace_back([&] {
      auto c = make_client();
      std::vector<double> mine;
      for (int i; (i = next++) < args.requests && Clock::now() < deadline;) {
        const auto t0 = Clock::now();
        const auto id = face_ids[static_cast<size_t>(i) % face_ids.size()];
        const auto& [name, bytes] = photos[static_cast<size_t>(i) % photos.size()];
        httplib::Result r =
            args.kind == "upload" ? c->Post("/api/search", httplib::MultipartFormDataItems{{"image", bytes, name, "image/jpeg"}})
            : args.kind == "face" ? c->Post("/api/search", json{{"face_id", id}}.dump(), "application/json")
                                  : c->Get("/api/faces/" + std::to_string(id) + "/thumbnail");
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!r || r->status != 200) {
          if (errors++ < 5)
            std::fprintf(stderr, "request %d failed: %s\n", i,
                         r ? (std::to_string(r->status) + " " + r->body).c_str() : httplib::to_string(r.error()).c_str());
          continue;
        }
        mine.push_back(ms);
      }
      std::lock_guard lock(mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  for (auto& t : clients) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  const int sent = std::min(next.load(), args.requests);
  json out = {{"kind", args.kind},
              {"clients", args.clients},
              {"requests", sent},
              {"ok", latencies.size()},
              {"errors", errors.load()},
              {"seconds", seconds},
              {"requests_per_second", static_cast<double>(latencies.size()) / seconds},
              {"p50_ms", percentile(latencies, 0.50)},
              {"p90_ms", percentile(latencies, 0.90)},
              {"p99_ms", percentile(latencies, 0.99)},
              {"max_ms", latencies.empty() ? 0.0 : latencies.back()},
              {"photos", photos.size()},
              {"face_ids", face_ids.size()}};
  std::printf("%s\n", out.dump().c_str());
  const bool complete = sent == args.requests && errors == 0;
  if (!complete) std::fprintf(stderr, "bench_load_server: %d errors, %d of %d requests sent\n", errors.load(), sent, args.requests);
  return complete ? 0 : 1;
}
