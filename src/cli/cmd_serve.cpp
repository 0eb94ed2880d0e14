// facesearch serve: the web page and JSON API over the library (src/server, docs/API.md).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/common.hpp"
#include "server/security.hpp"
#include "server/server.hpp"

namespace facesearch::cli {

namespace {

struct ServeArgs {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string token_file;
  int threads = 8;
  int engines = 2;
  double max_upload_mb = 25;
  bool log = false;
};

int run_serve(const CommonOptions& common, const ServeArgs& args) {
  server::ServerOptions o;
  o.library = common.library;  // empty: the default library (resolved by the session)
  o.engine = engine_config(common);
  o.host = args.host;
  o.port = args.port;
  o.threads = args.threads;
  o.engines = args.engines;
  o.index_jobs = common.jobs;
  o.max_upload_bytes = static_cast<size_t>(args.max_upload_mb * 1024 * 1024);
  o.log_requests = args.log;
  if (!args.token_file.empty()) o.token = server::read_token_file(args.token_file);
  server::check_exposure(o.host, o.token);  // before loading anything: refuse fast

  // Signals go to one thread that stops the server; the catalog is crash-safe, so a second signal quits at once.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by every thread created from here on

  server::Server server(o);
  const int port = server.bind();
  const LibraryStatus status = server.session().status();
  const std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  std::printf("facesearch serve: listening on http://%s:%d/\n", host.c_str(), port);
  std::fflush(stdout);
  if (!common.quiet)
    std::fprintf(stderr, "library %s: %zu images, %zu faces; %s; Ctrl-C to stop\n", status.dir.c_str(), status.images,
                 status.faces, o.token.empty() ? "no token (loopback only)" : "bearer token required");

  std::atomic<bool> finished{false};
  std::thread signal_thread([&] {
    for (int count = 1;; ++count) {
      int sig = 0;
      sigwait(&signals, &sig);
      if (finished) return;
      if (count > 1) _exit(128 + sig);
      server.stop();
      if (server.indexing() && !common.quiet)
        std::fprintf(stderr, "waiting for the indexing job to finish (Ctrl-C again to quit now)\n");
    }
  });
  server.run();
  while (server.indexing()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  finished = true;
  pthread_kill(signal_thread.native_handle(), SIGTERM);  // pending for that thread only: its sigwait returns
  signal_thread.join();
  return kOk;
}

}  // namespace

void add_serve_command(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Web page and JSON API over the library (http://127.0.0.1:8080)");
  cmd->add_option("--host", args->host, "Address to listen on; anything but loopback needs --token-file")
      ->capture_default_str();
  cmd->add_option("--port", args->port, "TCP port (0: any free port, printed on start)")
      ->capture_default_str()->check(integer_in(0, 65535));
  cmd->add_option("--token-file", args->token_file,
                  "File holding the token clients send as 'Authorization: Bearer TOKEN' (at least 16 characters)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--threads", args->threads, "Requests served at once (each holds a library connection)")->capture_default_str()->check(integer_in(1, 256));
  cmd->add_option("--engines", args->engines, "Uploaded photos analysed at once (each holds its own networks)")
      ->capture_default_str()->check(integer_in(1, 64));
  cmd->add_option("--max-upload-mb", args->max_upload_mb, "Largest accepted upload, in MiB")
      ->capture_default_str()->check(number_in(0.01, 1024));
  cmd->add_flag("--log", args->log, "One line per request on stderr");
  add_engine_options(cmd, common);
  commands.push_back({cmd, [&common, args] { return run_serve(common, *args); }});
}

}  // namespace facesearch::cli
