// Thin libpq helpers shared by the PostgreSQL backends (the face library's storage, the people store): binary
// parameters and results, a connection that throws with the server's message, and a transaction guard.
#pragma once

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "vector/kernels.hpp"
#include "embed/embedder.hpp"
#include "library/postgres/pg_path_text.hpp"

namespace facesearch::pg {

inline void put_be16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}
inline void put_be32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xFF));
}
inline void put_be64(std::string& out, std::uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xFF));
}
inline std::uint64_t get_be(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

// halfvec's binary form (pgvector halfvec_send/recv): int16 dim, int16 unused, dim big-endian IEEE halves.
inline void put_halfvec(std::string& out, std::span<const float> v) {
  put_be16(out, static_cast<std::uint16_t>(v.size()));
  put_be16(out, 0);
  for (float x : v) put_be16(out, vector_detail::float_to_half(x));
}

// Binary-format parameters with their type OIDs (0: inferred from a cast in the statement, e.g. $1::halfvec).
class Params {
 public:
  Params& i64(std::int64_t v) {
    std::string b;
    put_be64(b, static_cast<std::uint64_t>(v));
    return add(20, std::move(b));
  }
  Params& f64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    std::string b;
    put_be64(b, bits);
    return add(701, std::move(b));
  }
  Params& text(const std::string& v) { return add(25, v); }
  // A file name (bytes) as the text the library stores (pg_path_text.hpp).
  Params& path(const std::string& bytes) { return add(25, path_to_text(bytes)); }
  Params& bytes(const void* data, size_t n) { return add(17, std::string(static_cast<const char*>(data), n)); }
  Params& halfvec(std::span<const float> v) {
    std::string b;
    put_halfvec(b, v);
    return add(0, std::move(b));
  }
  Params& null(unsigned oid) {
    types_.push_back(oid);
    values_.emplace_back();
    nulls_.push_back(true);
    return *this;
  }
  int size() const { return static_cast<int>(values_.size()); }
  const unsigned* types() const { return types_.data(); }
  void fill(std::vector<const char*>& ptrs, std::vector<int>& lengths, std::vector<int>& formats) const {
    for (size_t i = 0; i < values_.size(); ++i) {
      ptrs.push_back(nulls_[i] ? nullptr : values_[i].data());
      lengths.push_back(static_cast<int>(values_[i].size()));
      formats.push_back(1);
    }
  }

 private:
  Params& add(unsigned oid, std::string v) {
    types_.push_back(oid);
    values_.push_back(std::move(v));
    nulls_.push_back(false);
    return *this;
  }
  std::vector<unsigned> types_;
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
};

class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(const Result&) = delete;
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  int rows() const { return PQntuples(r_); }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col); }
  // Binary results: integers are big-endian of their column's width.
  std::int64_t i64(int row, int col) const {
    const int n = PQgetlength(r_, row, col);
    const std::uint64_t v = get_be(PQgetvalue(r_, row, col), n);
    if (n == 2) return static_cast<std::int16_t>(v);
    if (n == 4) return static_cast<std::int32_t>(v);
    return static_cast<std::int64_t>(v);
  }
  double f64(int row, int col) const {
    const std::uint64_t v = get_be(PQgetvalue(r_, row, col), 8);
    double d;
    std::memcpy(&d, &v, 8);
    return d;
  }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  // A file name stored by Params::path, as its bytes again.
  std::string path(int row, int col) const { return path_from_text(text(row, col)); }
  std::span<const std::uint8_t> bytes(int row, int col) const {
    return {reinterpret_cast<const std::uint8_t*>(PQgetvalue(r_, row, col)),
            static_cast<size_t>(PQgetlength(r_, row, col))};
  }
  Embedding halfvec(int row, int col) const {
    const char* p = PQgetvalue(r_, row, col);
    const size_t dim = get_be(p, 2);
    Embedding e(dim);
    for (size_t i = 0; i < dim; ++i) e[i] = vector_detail::half_to_float(static_cast<std::uint16_t>(get_be(p + 4 + 2 * i, 2)));
    return e;
  }
  const char* affected() const { return PQcmdTuples(r_); }

 private:
  PGresult* r_;
};

// Removes the password from a URL for messages and status (postgresql://user:secret@host/db -> user@host/db).
inline std::string redact(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t at = url.find('@', scheme + 3), slash = url.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

class Connection {
 public:
  explicit Connection(const std::string& url) : where_(redact(url)) {
    conn_ = PQconnectdb(url.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      throw std::runtime_error("cannot connect to the face library at " + where_ + ": " + msg);
    }
    // Notices ("relation already exists, skipping") are not for the user.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  ~Connection() {
    if (conn_) PQfinish(conn_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& where() const { return where_; }
  // No transaction open on this connection.
  bool idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }

  // Statements without parameters (DDL, BEGIN/COMMIT): constant text only.
  void exec(const char* sql) { check(PQexec(conn_, sql), sql); }

  Result query(const char* sql, const Params& params = {}) {
    std::vector<const char*> ptrs;
    std::vector<int> lengths, formats;
    params.fill(ptrs, lengths, formats);
    return check(PQexecParams(conn_, sql, params.size(), params.types(), ptrs.data(), lengths.data(), formats.data(),
                              /*resultFormat=*/1),
                 sql);
  }

  // COPY ... FROM STDIN (FORMAT binary) with a whole buffer.
  void copy_in(const char* sql, const std::string& data) {
    check(PQexec(conn_, sql), sql, PGRES_COPY_IN);
    if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(conn_, nullptr) != 1)
      throw std::runtime_error("COPY to " + where_ + " failed: " + PQerrorMessage(conn_));
    check(PQgetResult(conn_), sql);
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  }

 private:
  Result check(PGresult* r, const char* sql, ExecStatusType want = PGRES_COMMAND_OK) {
    Result res(r);
    const ExecStatusType st = PQresultStatus(r);
    if (st == want || st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return res;
    std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    std::string first_line(sql, std::min<size_t>(std::strlen(sql), 60));
    throw std::runtime_error("face library at " + where_ + ": " + msg + " (in: " + first_line + "...)");
  }

  std::string where_;
  PGconn* conn_ = nullptr;
};

// BEGIN ... COMMIT, rolled back when not committed (an exception on the way).
class Tx {
 public:
  explicit Tx(Connection& db, const char* begin = "BEGIN") : db_(db) { db_.exec(begin); }
  ~Tx() {
    if (open_) try {
        db_.exec("ROLLBACK");
      } catch (...) {
      }
  }
  void commit() {
    db_.exec("COMMIT");
    open_ = false;
  }

 private:
  Connection& db_;
  bool open_ = true;
};

}  // namespace facesearch::pg
