// facesearch search: the library's faces of a person, found by photo(s), by person, or both.
#include <cstdio>
#include <memory>

#include <fmt/core.h>

#include "cli/common.hpp"

namespace facesearch::cli {

namespace {

struct SearchArgs {
  std::vector<std::string> queries;
  float threshold = 0;
  size_t top = 0;
  std::string query_face = "best";
  bool json = false;
  std::string backend = "auto";
  std::string person;  // --person NAME|ID
};

VectorBackend backend_named(const std::string& name) {
  return name == "exact" ? VectorBackend::Exact : name == "hnsw" ? VectorBackend::Hnsw : VectorBackend::Auto;
}

int run_search(const CommonOptions& common, const SearchArgs& args, std::optional<float> threshold) {
  if (args.queries.empty() && args.person.empty()) {
    std::fprintf(stderr, "error: search needs -q PHOTO or --person NAME|ID\n");
    return kUsage;
  }
  app::Session session(session_options(common));
  if (args.queries.empty()) {
    const app::PersonMatches found = session.person_matches(args.person, args.top);
    print_matches(found.matches, args.json);
    if (!common.quiet)
      std::fprintf(stderr, "%zu faces of person %lld (similarity to the person's mean face)\n", found.matches.size(),
                   static_cast<long long>(found.person));
    return kOk;
  }
  std::vector<Embedding> embeddings;
  for (const auto& q : args.queries) {
    app::QueryPhoto query;
    try {
      query = session.analyze_query(q, args.query_face);
    } catch (const ImageError& e) {
      std::fprintf(stderr, "error: query %s: %s\n", q.c_str(), e.what());
      return kUsage;
    }
    if (!query.face()) {
      std::fprintf(stderr, "error: no face %sin the query %s\n",
                   query.found.faces.empty() ? "" : ("'" + args.query_face + "' ").c_str(), q.c_str());
      return kNoQueryFace;
    }
    embeddings.push_back(query.face()->embedding);
  }
  app::SearchRequest request;
  request.threshold = threshold;
  request.top = args.top;
  request.backend = backend_named(args.backend);
  request.person = args.person;
  const app::SearchResult result = session.search(embeddings, request);
  print_matches(result.matches, args.json);
  if (!common.quiet)
    std::fprintf(stderr, "%zu matches (threshold %.3f), library search %.1f ms\n", result.matches.size(),
                 result.threshold, result.milliseconds);
  return kOk;
}

}  // namespace

void add_search_command(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto args = std::make_shared<SearchArgs>();
  auto* cmd = app.add_subcommand("search", "Find a person in the library");
  cmd->add_option("-q,--query", args->queries, "Photo of the person; several photos make one better query");
  cmd->add_option("--person", args->person, "A person of `people list` (id or name): its photos, or with -q "
                  "the query's matches among them");
  auto* threshold = cmd->add_option("--threshold", args->threshold, "Minimum cosine similarity (default: the pack's)")
                        ->check(CLI::Range(-1.0, 1.0));
  cmd->add_option("--top", args->top, "Show at most N matches (0: all)");
  cmd->add_option("--query-face", args->query_face, "Which face of the query: best, largest or its number")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "JSON Lines: one match per line");
  cmd->add_option("--vector-search", args->backend, "exact, hnsw or auto (by library size)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "exact", "hnsw"}));
  add_engine_options(cmd, common);
  commands.push_back({cmd, [&common, args, threshold] {
                        return run_search(common, *args, threshold->count() ? std::optional(args->threshold) : std::nullopt);
                      }});
}

}  // namespace facesearch::cli
