// facesearch people: group the library's faces into persons, name them, fix mistakes.
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

struct ClusterArgs {
  bool reset = false;
  size_t min_faces = 2;
};

int run_cluster(const CommonOptions& common, const ClusterArgs& args) {
  app::Session session(session_options(common));
  const auto r = session.cluster_people(args.reset, args.min_faces);
  if (!common.quiet)
    std::fprintf(stderr,
                 "%zu faces: %zu already in persons, %zu joined a person, %zu in %zu new persons, %zu unassigned; "
                 "%zu persons; %zu decisions relinked, %zu dropped; %zu low-quality faces (%zu attached, see people "
                 "list --unsure); %.2f s\n",
                 r.faces, r.seeds, r.joined, r.new_person_faces, r.new_persons, r.unassigned, r.persons, r.relinked,
                 r.dropped, r.low_quality, r.attached, r.seconds);
  return kOk;
}

int run_list(const CommonOptions& common, bool json, bool all) {
  app::Session session(session_options(common));
  const auto persons = session.list_people(/*include_hidden=*/all);
  if (!json && !persons.empty())
    std::cout << fmt::format("{:>6}  {:<24}  {:>5}  {:>8}  {:<20}  {}\n", "person", "name", "faces", "face_id",
                             "box (x1,y1,x2,y2)", "path");
  for (const auto& p : persons) {
    if (json)
      std::cout << json_text(person_json(p)) << '\n';
    else
      std::cout << fmt::format("{:>6}  {:<24}  {:>5}  {:>8}  {:<20}  {}\n", p.id,
                               (p.name.empty() ? "-" : p.name) + (p.hidden ? " (hidden)" : ""),
                               p.face_count, p.cover ? std::to_string(p.cover->id) : "-",
                               p.cover ? box_text(p.cover->face.box) : "-", p.cover ? p.cover->path.string() : "");
  }
  std::cout.flush();
  if (!common.quiet) std::fprintf(stderr, "%zu persons\n", persons.size());
  return kOk;
}

int run_show(const CommonOptions& common, const std::string& spec, bool json) {
  app::Session session(session_options(common));
  const app::PersonFaces person = session.person_faces(spec);
  const PersonId id = person.person.id;
  if (!json && !person.faces.empty())
    std::cout << fmt::format("{:>8}  {:>10}  {:<5}  {:<20}  {}\n", "face_id", "similarity", "by", "box (x1,y1,x2,y2)", "path");
  for (const auto& f : person.faces) {
    if (json)
      std::cout << json_text(person_face_json(f, id)) << '\n';
    else
      std::cout << fmt::format("{:>8}  {:>10.4f}  {:<5}  {:<20}  {}\n", f.face.id, f.similarity, f.by_user ? "user" : "auto",
                               box_text(f.face.face.box), f.face.path.string());
  }
  std::cout.flush();
  if (!common.quiet) std::fprintf(stderr, "person %lld: %zu faces\n", static_cast<long long>(id), person.faces.size());
  return kOk;
}

// Runs a people edit in a session of its own and says what it did (unless --quiet).
template <class Edit>
std::function<int()> edit(const CommonOptions& common, Edit fn) {
  return [&common, fn] {
    app::Session session(session_options(common));
    const std::string done = fn(session);
    if (!common.quiet) std::fprintf(stderr, "%s\n", done.c_str());
    return static_cast<int>(kOk);
  };
}

// `people move|reject FACE_ID PERSON`.
struct FaceEditHelp {
  const char* name;
  const char* what;
  const char* face;
  const char* person;
};

void add_face_edit(CLI::App* people_cmd, const CommonOptions& common, Commands& commands, const FaceEditHelp& help,
                   std::string (*fn)(app::Session&, FaceId, const std::string&)) {
  auto face = std::make_shared<FaceId>(0);
  auto person = std::make_shared<std::string>();
  auto* cmd = people_cmd->add_subcommand(help.name, help.what);
  cmd->add_option("face_id", *face, help.face)->required();
  cmd->add_option("person", *person, help.person)->required();
  commands.push_back({cmd, edit(common, [fn, face, person](app::Session& s) { return fn(s, *face, *person); })});
}

// `people hide|unhide PERSON`.
void add_hide_commands(CLI::App* people_cmd, const CommonOptions& common, Commands& commands) {
  for (const bool hide : {true, false}) {
    auto person = std::make_shared<std::string>();
    auto* cmd = people_cmd->add_subcommand(hide ? "hide" : "unhide",
                                           hide ? "Leave a person out of people list and the page (faces stay searchable)"
                                                : "Show a hidden person again");
    cmd->add_option("person", *person, "Person id or name")->required();
    commands.push_back({cmd, edit(common, [hide, person](app::Session& s) {
                          const PersonId id = s.hide_person(*person, hide);
                          return fmt::format("person {} is {}", id, hide ? "hidden" : "shown again");
                        })});
  }
}

}  // namespace

void add_people_commands(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto* people_cmd = app.add_subcommand("people", "Persons: group faces, name them, fix mistakes");
  people_cmd->require_subcommand(1);

  auto cluster = std::make_shared<ClusterArgs>();
  auto* cluster_cmd = people_cmd->add_subcommand("cluster", "Group faces into persons (incremental)");
  cluster_cmd->add_flag("--reset", cluster->reset, "Redo the automatic grouping; user decisions stay");
  cluster_cmd->add_option("--min-faces", cluster->min_faces, "Smallest new person")->capture_default_str()
      ->check(integer_in(1, 100000000));
  cluster_cmd->add_option("-j,--jobs", common.jobs, "Threads")->capture_default_str()->check(integer_in(1, 256));
  commands.push_back({cluster_cmd, [&common, cluster] { return run_cluster(common, *cluster); }});

  auto list_json = std::make_shared<bool>(false);
  auto list_all = std::make_shared<bool>(false);
  auto* list_cmd = people_cmd->add_subcommand("list", "Persons, their face count and a representative face");
  list_cmd->add_flag("--json", *list_json, "JSON Lines, one person per line");
  list_cmd->add_flag("--all", *list_all, "Hidden persons too (people hide)");
  auto list_unsure = std::make_shared<bool>(false);
  list_cmd->add_flag("--unsure", *list_unsure,
                     "Instead: low-quality faces left unassigned or only attached automatically, with the reasons");
  commands.push_back({list_cmd, [&common, list_json, list_all, list_unsure] {
                        return *list_unsure ? run_list_unsure(common, *list_json)
                                            : run_list(common, *list_json, *list_all);
                      }});

  auto show_person = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  auto* show_cmd = people_cmd->add_subcommand("show", "The faces of one person, most typical first");
  show_cmd->add_option("person", *show_person, "Person id or name")->required();
  show_cmd->add_flag("--json", *show_json, "JSON Lines, one face per line");
  commands.push_back({show_cmd, [&common, show_person, show_json] { return run_show(common, *show_person, *show_json); }});

  auto name_args = std::make_shared<std::vector<std::string>>();
  auto* name_cmd = people_cmd->add_subcommand("name", "Name a person (confirms its faces)");
  name_cmd->add_option("person_and_name", *name_args, "PERSON NAME")->required()->expected(2);
  commands.push_back({name_cmd, edit(common, [name_args](app::Session& s) {
                        const PersonId id = s.name_person((*name_args)[0], (*name_args)[1]);
                        return fmt::format("person {} is now \"{}\"", id, (*name_args)[1]);
                      })});

  auto merge_args = std::make_shared<std::vector<std::string>>();
  auto* merge_cmd = people_cmd->add_subcommand("merge", "Merge person A into person B (same person)");
  merge_cmd->add_option("a_b", *merge_args, "A B")->required()->expected(2);
  commands.push_back({merge_cmd, edit(common, [merge_args](app::Session& s) {
                        const auto [from, into] = s.merge_people((*merge_args)[0], (*merge_args)[1]);
                        return fmt::format("person {} merged into person {}", from, into);
                      })});

  add_face_edit(people_cmd, common, commands, {"move", "Put a face into another person (or 'new')",
                                               "Face id (see people show / search --json)", "Person id, name, or new"},
                [](app::Session& s, FaceId face, const std::string& person) {
                  return fmt::format("face {} is now in person {}", face, s.move_face(face, person));
                });

  auto split_person = std::make_shared<std::string>();
  auto split_faces = std::make_shared<std::vector<FaceId>>();
  auto* split_cmd = people_cmd->add_subcommand("split", "Make a new person of some faces of a person");
  split_cmd->add_option("person", *split_person, "Person id or name")->required();
  split_cmd->add_option("face_ids", *split_faces, "Faces that go to the new person")->required();
  commands.push_back({split_cmd, edit(common, [split_person, split_faces](app::Session& s) {
                        const PersonId created = s.split_person(*split_person, *split_faces);
                        return fmt::format("{} faces now in new person {}", split_faces->size(), created);
                      })});

  add_people_review_commands(people_cmd, common, commands);

  add_face_edit(people_cmd, common, commands,
                {"reject", "Not this person: the face leaves it for good", "Face id", "Person id or name"},
                [](app::Session& s, FaceId face, const std::string& person) {
                  return fmt::format("face {} is not person {}", face, s.reject_face(face, person));
                });

  add_hide_commands(people_cmd, common, commands);
  add_people_xmp_commands(people_cmd, common, commands);
}

}  // namespace facesearch::cli
