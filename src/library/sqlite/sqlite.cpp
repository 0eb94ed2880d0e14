#include "library/sqlite/sqlite.hpp"

namespace facesearch::sql {

// A full disk or a file size limit shows up as SQLITE_FULL or SQLITE_IOERR, read-only media as SQLITE_READONLY:
// say so, SQLite's words are vague.
static std::string storage_hint(int rc) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_READONLY) return " (the library is read-only here: status and searches work, changes do not)";
  return primary == SQLITE_FULL || primary == SQLITE_IOERR ? " (cannot write the library: is the disk full?)" : "";
}

static void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
    throw Error(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) + storage_hint(rc));
}

Statement::Statement(sqlite3* db, const char* sql) : db_(db) {
  check(db_, sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr), "prepare");
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int i, std::int64_t v) {
  check(db_, sqlite3_bind_int64(stmt_, i, v), "bind");
  return *this;
}
Statement& Statement::bind(int i, double v) {
  check(db_, sqlite3_bind_double(stmt_, i, v), "bind");
  return *this;
}
Statement& Statement::bind(int i, const std::string& v) {
  check(db_, sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT), "bind");
  return *this;
}
Statement& Statement::bind_blob(int i, const void* data, std::size_t bytes) {
  check(db_, sqlite3_bind_blob(stmt_, i, data, static_cast<int>(bytes), SQLITE_TRANSIENT), "bind");
  return *this;
}
Statement& Statement::bind_null(int i) {
  check(db_, sqlite3_bind_null(stmt_, i), "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  check(db_, rc, "step");
  return rc == SQLITE_ROW;
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int col) const {
  auto p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

std::span<const std::uint8_t> Statement::blob(int col) const {
  auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

// A read-only database is opened "immutable": on read-only media SQLite could not create the WAL index or lock
// files, and nothing else writes it meanwhile. The name goes in a URI: '%', '?' and '#' are escaped.
static std::string immutable_uri(const std::filesystem::path& file) {
  std::string uri = "file:";
  for (const char c : file.string()) {
    if (c == '%' || c == '?' || c == '#') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[static_cast<unsigned char>(c) >> 4];
      uri += kHex[c & 15];
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

Database::Database(const std::filesystem::path& file, bool read_only) {
  int flags = read_only ? (SQLITE_OPEN_READONLY | SQLITE_OPEN_URI) : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const std::string name = read_only ? immutable_uri(file) : file.string();
  int rc = sqlite3_open_v2(name.c_str(), &db_, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error("cannot open " + file.string() + ": " + msg);
  }
  // Another process may be indexing: wait for its write lock instead of failing at once.
  sqlite3_busy_timeout(db_, 30000);
}

Database::~Database() {
  if (db_) sqlite3_close(db_);
}

void Database::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = (err ? err : sqlite3_errstr(rc)) + storage_hint(rc);
    sqlite3_free(err);
    throw Error(msg);
  }
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (open_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace facesearch::sql
