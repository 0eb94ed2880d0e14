// PeopleStore for a library on PostgreSQL: the same tables as the embedded store, in the library's `facesearch`
// schema (made by the backend's migrations, pg_schema.cpp), on a connection of its own. Parameterised statements only.
#include <algorithm>

#include "library/people_store.hpp"
#include "library/postgres/pg.hpp"
#include "library/storage.hpp"

namespace facesearch::people {

namespace {

using pg::Params;
using pg::Result;

Params& anchor(Params& p, const FaceAnchor& a) {
  return p.path(a.path).f64(a.box.x1).f64(a.box.y1).f64(a.box.x2).f64(a.box.y2);
}

FaceAnchor read_anchor(const Result& r, int row, int col) {
  return {r.path(row, col), Box{static_cast<float>(r.f64(row, col + 1)), static_cast<float>(r.f64(row, col + 2)),
                                static_cast<float>(r.f64(row, col + 3)), static_cast<float>(r.f64(row, col + 4))}};
}

Params name_param(const std::string& name) {
  Params p;
  if (name.empty()) p.null(25); else p.text(name);
  return p;
}

class PgWriter final : public PeopleWriter {
 public:
  explicit PgWriter(pg::Connection& db) : db_(db) {}

  PersonId create_person(const std::string& name) override {
    Params p = name_param(name);
    p.i64(now_seconds());
    return db_.query("INSERT INTO persons(name, created) VALUES ($1, $2) RETURNING id", p).i64(0, 0);
  }
  void rename(PersonId person, const std::string& name) override {
    Params p = name_param(name);
    p.i64(person);
    db_.query("UPDATE persons SET name = $1 WHERE id = $2", p);
  }
  void set_cover(PersonId person, FaceId face) override {
    db_.query("UPDATE persons SET cover_face = $1 WHERE id = $2", Params().i64(face).i64(person));
  }
  void set_hidden(PersonId person, bool hidden) override {
    db_.query("UPDATE persons SET hidden = $1::bigint <> 0 WHERE id = $2", Params().i64(hidden ? 1 : 0).i64(person));
  }
  void delete_person(PersonId person) override {
    db_.query("DELETE FROM face_person WHERE person_id = $1", Params().i64(person));
    db_.query("DELETE FROM person_rejects WHERE person_id = $1", Params().i64(person));
    db_.query("DELETE FROM persons WHERE id = $1", Params().i64(person));
  }
  void assign(const AssignmentRow& row) override {
    Params p;
    p.i64(row.face).i64(row.person).text(row.by_user ? "user" : "auto");
    anchor(p, row.anchor);
    db_.query(
        "INSERT INTO face_person(face_id, person_id, assigned_by, path, x1, y1, x2, y2) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (face_id) DO UPDATE SET person_id = excluded.person_id, "
        "assigned_by = excluded.assigned_by, path = excluded.path, x1 = excluded.x1, y1 = excluded.y1, "
        "x2 = excluded.x2, y2 = excluded.y2",
        p);
  }
  void unassign(FaceId face) override {
    db_.query("DELETE FROM face_person WHERE face_id = $1", Params().i64(face));
  }
  void confirm_person(PersonId person) override {
    db_.query("UPDATE face_person SET assigned_by = 'user' WHERE person_id = $1", Params().i64(person));
  }
  void clear_auto() override { db_.exec("DELETE FROM face_person WHERE assigned_by = 'auto'"); }
  void add_reject(const RejectRow& row) override {
    Params p;
    p.i64(row.face).i64(row.person);
    anchor(p, row.anchor);
    db_.query(
        "INSERT INTO person_rejects(face_id, person_id, path, x1, y1, x2, y2) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (face_id, person_id) DO UPDATE SET path = excluded.path, x1 = excluded.x1, y1 = excluded.y1, "
        "x2 = excluded.x2, y2 = excluded.y2",
        p);
  }
  void remove_reject(FaceId face, PersonId person) override {
    db_.query("DELETE FROM person_rejects WHERE face_id = $1 AND person_id = $2", Params().i64(face).i64(person));
  }
  void move_rejects(PersonId from, PersonId into) override {
    // A face rejected from both persons keeps one row (the moved one), as the embedded store's UPDATE OR REPLACE.
    rekey("person_rejects", "person_id", "face_id", from, into);
  }
  void rekey_face(FaceId old_face, FaceId new_face) override {
    if (new_face == 0) {
      db_.query("DELETE FROM face_person WHERE face_id = $1", Params().i64(old_face));
      db_.query("DELETE FROM person_rejects WHERE face_id = $1", Params().i64(old_face));
      return;
    }
    rekey("face_person", "face_id", "", old_face, new_face);
    rekey("person_rejects", "face_id", "person_id", old_face, new_face);
  }
  void record_merge(PersonId from, PersonId into) override {
    db_.query(
        "INSERT INTO person_merges(from_id, into_id, merged) VALUES ($1, $2, $3) "
        "ON CONFLICT (from_id) DO UPDATE SET into_id = excluded.into_id, merged = excluded.merged",
        Params().i64(from).i64(into).i64(now_seconds()));
  }
  void add_not_same(PersonId a, PersonId b) override {
    db_.query("INSERT INTO person_not_same(low_id, high_id, decided) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
              Params().i64(std::min(a, b)).i64(std::max(a, b)).i64(now_seconds()));
  }

 private:
  // SQLite's UPDATE OR REPLACE: rows of `table` whose `column` is `from` take `into`, and a row already there that
  // would collide (same `column`, and same `pair` when given) is replaced. Identifiers are constants of this file.
  void rekey(const std::string& table, const std::string& column, const std::string& pair, std::int64_t from,
             std::int64_t into) {
    const std::string same = pair.empty() ? "" : " AND o." + pair + " = n." + pair;
    const std::string drop = "DELETE FROM " + table + " n WHERE n." + column + " = $2 AND EXISTS (SELECT 1 FROM " +
                             table + " o WHERE o." + column + " = $1" + same + ")";
    const std::string move = "UPDATE " + table + " SET " + column + " = $2 WHERE " + column + " = $1";
    db_.query(drop.c_str(), Params().i64(from).i64(into));
    db_.query(move.c_str(), Params().i64(from).i64(into));
  }

  pg::Connection& db_;
};

class PgPeopleStore final : public PeopleStore {
 public:
  explicit PgPeopleStore(const std::string& url) : db_(url) { db_.exec("SET search_path = facesearch, public"); }

  PeopleSnapshot load() override {
    PeopleSnapshot s;
    // One snapshot for every table, even while another client writes.
    pg::Tx tx(db_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    s.generation = db_.query("SELECT value FROM people_meta WHERE key = 'generation'").i64(0, 0);
    Result p = db_.query("SELECT id, name, created, cover_face, hidden::int FROM persons ORDER BY id");
    for (int i = 0; i < p.rows(); ++i)
      s.persons.push_back({p.i64(i, 0), p.null(i, 1) ? std::string() : p.text(i, 1), p.i64(i, 2), p.i64(i, 3),
                           p.i64(i, 4) != 0});
    Result a = db_.query(
        "SELECT face_id, person_id, assigned_by, path, x1, y1, x2, y2 FROM face_person ORDER BY face_id");
    for (int i = 0; i < a.rows(); ++i)
      s.assignments.push_back({a.i64(i, 0), a.i64(i, 1), a.text(i, 2) == "user", read_anchor(a, i, 3)});
    Result r = db_.query(
        "SELECT face_id, person_id, path, x1, y1, x2, y2 FROM person_rejects ORDER BY face_id, person_id");
    for (int i = 0; i < r.rows(); ++i) s.rejects.push_back({r.i64(i, 0), r.i64(i, 1), read_anchor(r, i, 2)});
    Result m = db_.query("SELECT from_id, into_id FROM person_merges");
    for (int i = 0; i < m.rows(); ++i) s.merged_into[m.i64(i, 0)] = m.i64(i, 1);
    Result n = db_.query("SELECT low_id, high_id FROM person_not_same ORDER BY low_id, high_id");
    for (int i = 0; i < n.rows(); ++i) s.not_same.emplace_back(n.i64(i, 0), n.i64(i, 1));
    tx.commit();
    return s;
  }

  bool update(const std::function<void(PeopleWriter&)>& change, std::int64_t expected_generation) override {
    pg::Tx tx(db_);
    // The generation row is the store's write lock: updates from several clients run one after another.
    const std::int64_t generation =
        db_.query("SELECT value FROM people_meta WHERE key = 'generation' FOR UPDATE").i64(0, 0);
    if (expected_generation >= 0 && generation != expected_generation) return false;
    PgWriter writer(db_);
    change(writer);
    db_.exec("UPDATE people_meta SET value = value + 1 WHERE key = 'generation'");
    tx.commit();
    return true;
  }

 private:
  pg::Connection db_;
};

}  // namespace

std::unique_ptr<PeopleStore> open_postgres_people_store(const std::string& url) {
  return std::make_unique<PgPeopleStore>(url);
}

}  // namespace facesearch::people
