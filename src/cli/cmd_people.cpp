// facesearch people: group the library's faces into persons, name them, fix mistakes; search --person.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <unordered_set>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "engine/records.hpp"
#include "library/library.hpp"
#include "models/model_pack.hpp"
#include "people/people.hpp"

namespace fs = std::filesystem;

namespace facesearch::cli {

namespace {

using people::PersonId;

// An opened library with its people: the store's connection lives as long as the commands need it.
struct PeopleSession {
  Library library;
  std::unique_ptr<people::PeopleStore> store;
  people::People people;

  PeopleSession(const CommonOptions& common, const people::ClusterParams& params)
      : library(library_spec(common), /*create=*/false),
        store(people::open_people_store(library_spec(common), library)),
        people(library, *store, params) {}
};

people::ClusterParams params_for(const CommonOptions& common) {
  auto params = people::ClusterParams::from_pack(find_builtin_pack(common.pack));
  params.threads = static_cast<unsigned>(std::max(1, common.jobs));
  return params;
}

Match as_match(const LibraryFace& f, float similarity) {
  Match m;
  m.path = f.path;
  m.width = f.width;
  m.height = f.height;
  m.face = f.face;
  m.similarity = similarity;
  m.face_id = f.id;
  m.image_id = f.image_id;
  return m;
}

std::string box_text(const Box& b) { return fmt::format("{:.0f},{:.0f},{:.0f},{:.0f}", b.x1, b.y1, b.x2, b.y2); }

PersonId parse_person_or_new(people::People& p, const std::string& spec) {
  return spec == "new" ? 0 : p.resolve(spec);
}

struct ClusterArgs {
  bool reset = false;
  size_t min_faces = 2;
};

int run_cluster(const CommonOptions& common, const ClusterArgs& args) {
  auto params = params_for(common);
  params.min_faces = args.min_faces;
  PeopleSession s(common, params);
  s.library.check_pack(find_builtin_pack(common.pack));
  const auto r = s.people.cluster(args.reset);
  if (!common.quiet)
    std::fprintf(stderr,
                 "%zu faces: %zu already in persons, %zu joined a person, %zu in %zu new persons, %zu unassigned; "
                 "%zu persons; %zu decisions relinked, %zu dropped; %.2f s\n",
                 r.faces, r.seeds, r.joined, r.new_person_faces, r.new_persons, r.unassigned, r.persons, r.relinked,
                 r.dropped, r.seconds);
  return kOk;
}

int run_list(const CommonOptions& common, bool json) {
  PeopleSession s(common, params_for(common));
  const auto persons = s.people.list();
  if (!json && !persons.empty())
    std::cout << fmt::format("{:>6}  {:<24}  {:>5}  {:>8}  {:<20}  {}\n", "person", "name", "faces", "face_id",
                             "box (x1,y1,x2,y2)", "path");
  for (const auto& p : persons) {
    if (json) {
      nlohmann::json j = {{"id", p.id}, {"name", p.name.empty() ? nlohmann::json() : nlohmann::json(p.name)},
                          {"face_count", p.face_count}};
      if (p.cover) {
        j["face_id"] = p.cover->id;
        j["image_id"] = p.cover->image_id;
        j["path"] = p.cover->path.string();
        j["box"] = box_json(p.cover->face.box);
      }
      std::cout << j.dump() << '\n';
    } else {
      std::cout << fmt::format("{:>6}  {:<24}  {:>5}  {:>8}  {:<20}  {}\n", p.id, p.name.empty() ? "-" : p.name,
                               p.face_count, p.cover ? std::to_string(p.cover->id) : "-",
                               p.cover ? box_text(p.cover->face.box) : "-", p.cover ? p.cover->path.string() : "");
    }
  }
  std::cout.flush();
  if (!common.quiet) std::fprintf(stderr, "%zu persons\n", persons.size());
  return kOk;
}

int run_show(const CommonOptions& common, const std::string& spec, bool json) {
  PeopleSession s(common, params_for(common));
  const PersonId id = s.people.resolve(spec);
  const auto faces = s.people.faces_of(id);
  if (!json && !faces.empty())
    std::cout << fmt::format("{:>8}  {:>10}  {:<5}  {:<20}  {}\n", "face_id", "similarity", "by", "box (x1,y1,x2,y2)", "path");
  for (const auto& f : faces) {
    if (json) {
      auto j = match_json(as_match(f.face, f.similarity));
      j["person"] = id;
      j["assigned_by"] = f.by_user ? "user" : "auto";
      std::cout << j.dump() << '\n';
    } else {
      std::cout << fmt::format("{:>8}  {:>10.4f}  {:<5}  {:<20}  {}\n", f.face.id, f.similarity, f.by_user ? "user" : "auto",
                               box_text(f.face.face.box), f.face.path.string());
    }
  }
  std::cout.flush();
  if (!common.quiet) std::fprintf(stderr, "person %lld: %zu faces\n", static_cast<long long>(id), faces.size());
  return kOk;
}

void say(const CommonOptions& common, const std::string& line) {
  if (!common.quiet) std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace

int run_search_person(const CommonOptions& common, const std::string& person, size_t top, bool json) {
  PeopleSession s(common, params_for(common));
  const PersonId id = s.people.resolve(person);
  auto faces = s.people.faces_of(id);
  if (top && faces.size() > top) faces.resize(top);
  if (!json && !faces.empty())
    std::cout << fmt::format("{:>10}  {:<24}  {}\n", "similarity", "box (x1,y1,x2,y2)", "path");
  for (const auto& f : faces) {
    if (json)
      std::cout << match_json(as_match(f.face, f.similarity)).dump() << '\n';
    else
      std::cout << fmt::format("{:>10.4f}  {:<24}  {}\n", f.similarity, box_text(f.face.face.box), f.face.path.string());
  }
  std::cout.flush();
  say(common, fmt::format("{} faces of person {} (similarity to the person's mean face)", faces.size(), id));
  return kOk;
}

void keep_person_matches(const CommonOptions& common, const std::string& person, std::vector<Match>& matches) {
  PeopleSession s(common, params_for(common));
  std::unordered_set<FaceId> faces;
  for (const auto& f : s.people.faces_of(s.people.resolve(person))) faces.insert(f.face.id);
  std::erase_if(matches, [&](const Match& m) { return !faces.count(m.face_id); });
}

void add_people_commands(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto* people_cmd = app.add_subcommand("people", "Persons: group faces, name them, fix mistakes");
  people_cmd->require_subcommand(1);

  auto cluster = std::make_shared<ClusterArgs>();
  auto* cluster_cmd = people_cmd->add_subcommand("cluster", "Group faces into persons (incremental)");
  cluster_cmd->add_flag("--reset", cluster->reset, "Redo the automatic grouping; user decisions stay");
  cluster_cmd->add_option("--min-faces", cluster->min_faces, "Smallest new person")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cluster_cmd->add_option("-j,--jobs", common.jobs, "Threads")->capture_default_str()->check(CLI::Range(1, 256));
  commands.push_back({cluster_cmd, [&common, cluster] { return run_cluster(common, *cluster); }});

  auto list_json = std::make_shared<bool>(false);
  auto* list_cmd = people_cmd->add_subcommand("list", "Persons, their face count and a representative face");
  list_cmd->add_flag("--json", *list_json, "JSON Lines, one person per line");
  commands.push_back({list_cmd, [&common, list_json] { return run_list(common, *list_json); }});

  auto show_person = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  auto* show_cmd = people_cmd->add_subcommand("show", "The faces of one person, most typical first");
  show_cmd->add_option("person", *show_person, "Person id or name")->required();
  show_cmd->add_flag("--json", *show_json, "JSON Lines, one face per line");
  commands.push_back({show_cmd, [&common, show_person, show_json] { return run_show(common, *show_person, *show_json); }});

  auto name_args = std::make_shared<std::vector<std::string>>();
  auto* name_cmd = people_cmd->add_subcommand("name", "Name a person (confirms its faces)");
  name_cmd->add_option("person_and_name", *name_args, "PERSON NAME")->required()->expected(2);
  commands.push_back({name_cmd, [&common, name_args] {
                        PeopleSession s(common, params_for(common));
                        const PersonId id = s.people.resolve((*name_args)[0]);
                        s.people.name(id, (*name_args)[1]);
                        say(common, fmt::format("person {} is now \"{}\"", id, (*name_args)[1]));
                        return static_cast<int>(kOk);
                      }});

  auto merge_args = std::make_shared<std::vector<std::string>>();
  auto* merge_cmd = people_cmd->add_subcommand("merge", "Merge person A into person B (same person)");
  merge_cmd->add_option("a_b", *merge_args, "A B")->required()->expected(2);
  commands.push_back({merge_cmd, [&common, merge_args] {
                        PeopleSession s(common, params_for(common));
                        const PersonId from = s.people.resolve((*merge_args)[0]);
                        const PersonId into = s.people.resolve((*merge_args)[1]);
                        s.people.merge(from, into);
                        say(common, fmt::format("person {} merged into person {}", from, into));
                        return static_cast<int>(kOk);
                      }});

  auto move_face = std::make_shared<FaceId>(0);
  auto move_to = std::make_shared<std::string>();
  auto* move_cmd = people_cmd->add_subcommand("move", "Put a face into another person (or 'new')");
  move_cmd->add_option("face_id", *move_face, "Face id (see people show / search --json)")->required();
  move_cmd->add_option("person", *move_to, "Person id, name, or new")->required();
  commands.push_back({move_cmd, [&common, move_face, move_to] {
                        PeopleSession s(common, params_for(common));
                        const PersonId to = s.people.move(*move_face, parse_person_or_new(s.people, *move_to));
                        say(common, fmt::format("face {} is now in person {}", *move_face, to));
                        return static_cast<int>(kOk);
                      }});

  auto split_person = std::make_shared<std::string>();
  auto split_faces = std::make_shared<std::vector<FaceId>>();
  auto* split_cmd = people_cmd->add_subcommand("split", "Make a new person of some faces of a person");
  split_cmd->add_option("person", *split_person, "Person id or name")->required();
  split_cmd->add_option("face_ids", *split_faces, "Faces that go to the new person")->required();
  commands.push_back({split_cmd, [&common, split_person, split_faces] {
                        PeopleSession s(common, params_for(common));
                        const PersonId created = s.people.split(s.people.resolve(*split_person), *split_faces);
                        say(common, fmt::format("{} faces now in new person {}", split_faces->size(), created));
                        return static_cast<int>(kOk);
                      }});

  auto reject_face = std::make_shared<FaceId>(0);
  auto reject_person = std::make_shared<std::string>();
  auto* reject_cmd = people_cmd->add_subcommand("reject", "Not this person: the face leaves it for good");
  reject_cmd->add_option("face_id", *reject_face, "Face id")->required();
  reject_cmd->add_option("person", *reject_person, "Person id or name")->required();
  commands.push_back({reject_cmd, [&common, reject_face, reject_person] {
                        PeopleSession s(common, params_for(common));
                        const PersonId id = s.people.resolve(*reject_person);
                        s.people.reject(*reject_face, id);
                        say(common, fmt::format("face {} is not person {}", *reject_face, id));
                        return static_cast<int>(kOk);
                      }});
}

}  // namespace facesearch::cli
