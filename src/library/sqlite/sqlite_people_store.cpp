// PeopleStore for the embedded library: tables beside the catalog's in catalog.sqlite (WAL mode is already on; the
// tables come from the catalog's migrations, sqlite_schema.cpp).
#include <algorithm>

#include "library/people_store.hpp"
#include "library/sqlite/sqlite.hpp"
#include "library/storage.hpp"

namespace facesearch::people {

namespace {

FaceAnchor read_anchor(const sql::Statement& st, int col) {
  return {st.text(col), Box{static_cast<float>(st.f64(col + 1)), static_cast<float>(st.f64(col + 2)),
                            static_cast<float>(st.f64(col + 3)), static_cast<float>(st.f64(col + 4))}};
}

void bind_anchor(sql::Statement& st, int first, const FaceAnchor& a) {
  st.bind(first, a.path)
      .bind(first + 1, static_cast<double>(a.box.x1))
      .bind(first + 2, static_cast<double>(a.box.y1))
      .bind(first + 3, static_cast<double>(a.box.x2))
      .bind(first + 4, static_cast<double>(a.box.y2));
}

class SqliteWriter final : public PeopleWriter {
 public:
  explicit SqliteWriter(sql::Database& db) : db_(db) {}

  PersonId create_person(const std::string& name) override {
    auto st = db_.prepare("INSERT INTO persons(name, created) VALUES (?, ?)");
    if (name.empty())
      st.bind_null(1);
    else
      st.bind(1, name);
    st.bind(2, now_seconds()).run();
    return db_.last_insert_id();
  }
  void rename(PersonId person, const std::string& name) override {
    auto st = db_.prepare("UPDATE persons SET name = ? WHERE id = ?");
    if (name.empty())
      st.bind_null(1);
    else
      st.bind(1, name);
    st.bind(2, person).run();
  }
  void set_cover(PersonId person, FaceId face) override {
    db_.prepare("UPDATE persons SET cover_face = ? WHERE id = ?").bind(1, face).bind(2, person).run();
  }
  void set_hidden(PersonId person, bool hidden) override {
    db_.prepare("UPDATE persons SET hidden = ? WHERE id = ?").bind(1, std::int64_t{hidden}).bind(2, person).run();
  }
  void delete_person(PersonId person) override {
    db_.prepare("DELETE FROM face_person WHERE person_id = ?").bind(1, person).run();
    db_.prepare("DELETE FROM person_rejects WHERE person_id = ?").bind(1, person).run();
    db_.prepare("DELETE FROM persons WHERE id = ?").bind(1, person).run();
  }
  void assign(const AssignmentRow& row) override {
    auto st = db_.prepare(
        "INSERT OR REPLACE INTO face_person(face_id, person_id, assigned_by, path, x1, y1, x2, y2) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, row.face).bind(2, row.person).bind(3, std::string(row.by_user ? "user" : "auto"));
    bind_anchor(st, 4, row.anchor);
    st.run();
  }
  void unassign(FaceId face) override { db_.prepare("DELETE FROM face_person WHERE face_id = ?").bind(1, face).run(); }
  void confirm_person(PersonId person) override {
    db_.prepare("UPDATE face_person SET assigned_by = 'user' WHERE person_id = ?").bind(1, person).run();
  }
  void clear_auto() override { db_.exec("DELETE FROM face_person WHERE assigned_by = 'auto'"); }
  void add_reject(const RejectRow& row) override {
    auto st = db_.prepare(
        "INSERT OR REPLACE INTO person_rejects(face_id, person_id, path, x1, y1, x2, y2) VALUES (?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, row.face).bind(2, row.person);
    bind_anchor(st, 3, row.anchor);
    st.run();
  }
  void remove_reject(FaceId face, PersonId person) override {
    db_.prepare("DELETE FROM person_rejects WHERE face_id = ? AND person_id = ?").bind(1, face).bind(2, person).run();
  }
  void move_rejects(PersonId from, PersonId into) override {
    db_.prepare("UPDATE OR REPLACE person_rejects SET person_id = ? WHERE person_id = ?").bind(1, into).bind(2, from).run();
  }
  void rekey_face(FaceId old_face, FaceId new_face) override {
    if (new_face == 0) {
      db_.prepare("DELETE FROM face_person WHERE face_id = ?").bind(1, old_face).run();
      db_.prepare("DELETE FROM person_rejects WHERE face_id = ?").bind(1, old_face).run();
      return;
    }
    db_.prepare("UPDATE OR REPLACE face_person SET face_id = ? WHERE face_id = ?").bind(1, new_face).bind(2, old_face).run();
    db_.prepare("UPDATE OR REPLACE person_rejects SET face_id = ? WHERE face_id = ?")
        .bind(1, new_face)
        .bind(2, old_face)
        .run();
  }
  void record_merge(PersonId from, PersonId into) override {
    db_.prepare("INSERT OR REPLACE INTO person_merges(from_id, into_id, merged) VALUES (?, ?, ?)")
        .bind(1, from)
        .bind(2, into)
        .bind(3, now_seconds())
        .run();
  }
  void add_not_same(PersonId a, PersonId b) override {
    db_.prepare("INSERT OR IGNORE INTO person_not_same(low_id, high_id, decided) VALUES (?, ?, ?)")
        .bind(1, std::min(a, b))
        .bind(2, std::max(a, b))
        .bind(3, now_seconds())
        .run();
  }

 private:
  sql::Database& db_;
};

class SqlitePeopleStore final : public PeopleStore {
 public:
  explicit SqlitePeopleStore(const std::filesystem::path& library_dir) : db_(library_dir / "catalog.sqlite") {}

  PeopleSnapshot load() override {
    PeopleSnapshot s;
    // One read transaction: a consistent picture even while another process writes.
    db_.exec("BEGIN");
    try {
      s.generation = generation();
      auto p = db_.prepare("SELECT id, name, created, cover_face, hidden FROM persons ORDER BY id");
      while (p.step())
        s.persons.push_back({p.i64(0), p.is_null(1) ? std::string() : p.text(1), p.i64(2), p.i64(3), p.i64(4) != 0});
      auto a = db_.prepare("SELECT face_id, person_id, assigned_by, path, x1, y1, x2, y2 FROM face_person ORDER BY face_id");
      while (a.step()) s.assignments.push_back({a.i64(0), a.i64(1), a.text(2) == "user", read_anchor(a, 3)});
      auto r = db_.prepare("SELECT face_id, person_id, path, x1, y1, x2, y2 FROM person_rejects ORDER BY face_id, person_id");
      while (r.step()) s.rejects.push_back({r.i64(0), r.i64(1), read_anchor(r, 2)});
      auto m = db_.prepare("SELECT from_id, into_id FROM person_merges");
      while (m.step()) s.merged_into[m.i64(0)] = m.i64(1);
      auto n = db_.prepare("SELECT low_id, high_id FROM person_not_same ORDER BY low_id, high_id");
      while (n.step()) s.not_same.emplace_back(n.i64(0), n.i64(1));
    } catch (...) {
      db_.exec("ROLLBACK");
      throw;
    }
    db_.exec("COMMIT");
    return s;
  }

  bool update(const std::function<void(PeopleWriter&)>& change, std::int64_t expected_generation) override {
    sql::Transaction tx(db_);
    if (expected_generation >= 0 && generation() != expected_generation) return false;
    SqliteWriter writer(db_);
    change(writer);
    db_.prepare("UPDATE people_meta SET value = value + 1 WHERE key = 'generation'").run();
    tx.commit();
    return true;
  }

 private:
  std::int64_t generation() {
    auto g = db_.prepare("SELECT value FROM people_meta WHERE key = 'generation'");
    return g.step() ? g.i64(0) : 0;
  }

  sql::Database db_;
};

}  // namespace

std::unique_ptr<PeopleStore> open_sqlite_people_store(const std::filesystem::path& library_dir) {
  return std::make_unique<SqlitePeopleStore>(library_dir);
}

}  // namespace facesearch::people
