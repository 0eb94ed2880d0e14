// facesearch people suggest / list --unsure: reviewing what the clustering was unsure of and what it suggests.
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "app/records.hpp"
#include "cli/common.hpp"

namespace facesearch::cli {

namespace {

using people::PersonId;

FaceId face_id_of(const std::string& text) {
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || text.size() > 18) throw people::PeopleError("\"" + text + "\" is not a face id");
  return std::stoll(text);
}

std::string person_text(const people::PersonSummary& p) {
  return p.name.empty() ? fmt::format("{}", p.id) : fmt::format("{} ({})", p.id, p.name);
}

struct SuggestArgs {
  std::string person;
  size_t top = 10;
  bool json = false;
  std::vector<std::string> confirm_face, reject_face, confirm_merge, reject_merge;  // FACE PERSON / A B
};

int run_suggest(const CommonOptions& common, const SuggestArgs& a) {
  app::Session session(session_options(common));
  auto say = [&](const std::string& text) {
    if (!common.quiet) std::fprintf(stderr, "%s\n", text.c_str());
  };
  if (!a.confirm_face.empty()) {
    const PersonId p = session.confirm_face_suggestion(face_id_of(a.confirm_face[0]), a.confirm_face[1]);
    say(fmt::format("face {} is now in person {}", a.confirm_face[0], p));
  } else if (!a.reject_face.empty()) {
    const PersonId p = session.reject_face_suggestion(face_id_of(a.reject_face[0]), a.reject_face[1]);
    say(fmt::format("face {} is not person {}; it will not be suggested again", a.reject_face[0], p));
  } else if (!a.confirm_merge.empty()) {
    const auto [from, into] = session.confirm_merge_suggestion(a.confirm_merge[0], a.confirm_merge[1]);
    say(fmt::format("person {} merged into person {}", from, into));
  } else if (!a.reject_merge.empty()) {
    const auto [x, y] = session.reject_merge_suggestion(a.reject_merge[0], a.reject_merge[1]);
    say(fmt::format("persons {} and {} are not the same person; they will not be suggested again", x, y));
  } else {
    const auto s = session.suggestions(a.person, a.top);
    for (const auto& f : s.faces)
      std::cout << (a.json ? json_text(face_suggestion_json(f))
                           : fmt::format("face   {:>8} -> {:<24} {:.4f}  {}  {}", f.face.id,
                                         fmt::format("{} ({})", f.person, f.name), f.similarity,
                                         box_text(f.face.face.box), f.face.path.string()))
                << '\n';
    for (const auto& m : s.merges)
      std::cout << (a.json ? json_text(merge_suggestion_json(m))
                           : fmt::format("merge  {} + {}  {:.4f}  ({} + {} faces)", person_text(m.a), person_text(m.b),
                                         m.similarity, m.a.face_count, m.b.face_count))
                << '\n';
    std::cout.flush();
    say(fmt::format("{} face suggestions, {} merge suggestions", s.faces.size(), s.merges.size()));
  }
  return kOk;
}

}  // namespace

int run_list_unsure(const CommonOptions& common, bool json) {
  app::Session session(session_options(common));
  const auto faces = session.unsure_faces();
  for (const auto& f : faces) {
    std::string reasons;
    for (const auto& r : f.reasons) reasons += (reasons.empty() ? "" : ",") + r;
    std::cout << (json ? json_text(unsure_face_json(f))
                       : fmt::format("{:>8}  {:<22}  {:>6}  {:<20}  {}", f.face.id, reasons,
                                     f.person ? std::to_string(f.person) : "-", box_text(f.face.face.box),
                                     f.face.path.string()))
              << '\n';
  }
  std::cout.flush();
  if (!common.quiet) std::fprintf(stderr, "%zu unsure faces (low quality, unassigned or attached automatically)\n", faces.size());
  return kOk;
}

void add_people_review_commands(CLI::App* people_cmd, CommonOptions& common, Commands& commands) {
  auto args = std::make_shared<SuggestArgs>();
  auto* cmd = people_cmd->add_subcommand(
      "suggest", "Likely faces of named persons and likely merges; confirm or reject one (never suggested again)");
  cmd->add_option("--person", args->person, "Only suggestions for this person (id or name)");
  cmd->add_option("--top", args->top, "At most this many faces per person, and merges (0: all)")
      ->capture_default_str()
      ->check(integer_in(0, 100000000));
  cmd->add_flag("--json", args->json, "JSON Lines: one suggestion per line (\"kind\": \"face\" or \"merge\")");
  auto* cf = cmd->add_option("--confirm-face", args->confirm_face, "FACE_ID PERSON: the face is that person")->expected(2);
  auto* rf = cmd->add_option("--reject-face", args->reject_face, "FACE_ID PERSON: the face is not that person")->expected(2);
  auto* cm = cmd->add_option("--confirm-merge", args->confirm_merge, "A B: one person, A goes into B")->expected(2);
  auto* rm = cmd->add_option("--reject-merge", args->reject_merge, "A B: not the same person")->expected(2);
  for (auto* o : {cf, rf, cm, rm})
    for (auto* other : {cf, rf, cm, rm})
      if (o != other) o->excludes(other);
  commands.push_back({cmd, [&common, args] { return run_suggest(common, *args); }});
}

}  // namespace facesearch::cli
