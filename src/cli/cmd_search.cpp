// facesearch search: the library's faces of a person, found by photo(s), by person, or both.
#include <cstdio>
#include <memory>

#include <fmt/core.h>

#include "cli/common.hpp"

namespace facesearch::cli {

namespace {

struct SearchArgs {
  std::vector<std::string> queries;
  MatchOptions match;
  std::string backend = "auto";
  std::string person;  // --person NAME|ID
};

VectorBackend backend_named(const std::string& name) {
  return name == "exact" ? VectorBackend::Exact : name == "hnsw" ? VectorBackend::Hnsw : VectorBackend::Auto;
}

int run_search(const CommonOptions& common, const SearchArgs& args) {
  const MatchOptions& match = args.match;
  if (args.queries.empty() && args.person.empty()) {
    std::fprintf(error_stream(), "error: search needs -q PHOTO or --person NAME|ID\n");
    return kUsage;
  }
  app::Session session(session_options(common));
  if (args.queries.empty()) {
    const app::PersonMatches found = session.person_matches(args.person, match.top);
    print_matches(found.matches, match.json);
    if (!common.quiet)
      std::fprintf(stderr, "%zu faces of person %lld (similarity to the person's mean face)\n", found.matches.size(),
                   static_cast<long long>(found.person));
    return kOk;
  }
  std::vector<Embedding> embeddings;
  for (const auto& q : args.queries) {
    app::QueryPhoto query;
    try {
      query = session.analyze_query(q, match.query_face);
    } catch (const ImageError& e) {
      std::fprintf(error_stream(), "error: query %s: %s\n", q.c_str(), e.what());
      return kUsage;
    }
    if (!query.face()) {
      std::fprintf(error_stream(), "error: no face %sin the query %s\n",
                   query.found.faces.empty() ? "" : ("'" + match.query_face + "' ").c_str(), q.c_str());
      return kNoQueryFace;
    }
    embeddings.push_back(query.face()->embedding);
  }
  app::SearchRequest request;
  request.threshold = match.given_threshold();
  request.top = match.top;
  request.backend = backend_named(args.backend);
  request.person = args.person;
  const app::SearchResult result = session.search(embeddings, request);
  print_matches(result.matches, match.json);
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
  add_match_options(cmd, args->match);
  cmd->add_option("--vector-search", args->backend, "exact, hnsw or auto (by library size)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "exact", "hnsw"}));
  add_engine_options(cmd, common);
  commands.push_back({cmd, [&common, args] { return run_search(common, *args); }});
}

}  // namespace facesearch::cli
