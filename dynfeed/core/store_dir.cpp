#include "dynfeed/core/store_dir.hpp"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

namespace dynfeed::store_dir {

namespace {

error io_error(const std::string& what, const std::string& path) {
  return error{base_errc::io_error, what + " " + path + ": " + std::strerror(errno)};
}

/// Makes `dir` (mode 0700) unless it exists; an existing directory must be empty.
status prepare_new_dir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return io_error("cannot stat", dir);
    if (::mkdir(dir.c_str(), 0700) != 0)
      return io_error("cannot create", dir);
    return {};
  }
  if (!S_ISDIR(st.st_mode))
    return error{store_errc::already_exists, dir + " exists and is not a directory"};
  DIR* d = ::opendir(dir.c_str());
  if (!d)
    return io_error("cannot read", dir);
  bool empty = true;
  while (dirent* entry = ::readdir(d)) {
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  if (!empty)
    return error{store_errc::already_exists, dir + " is not empty"};
  if (::chmod(dir.c_str(), 0700) != 0)
    return io_error("cannot chmod", dir);
  return {};
}

status write_secret_key(const std::string& path, const secret_key& sk) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return io_error("cannot create", path);
  bool ok = ::write(fd, sk.data(), secret_key::size_bytes)
              == static_cast<ssize_t>(secret_key::size_bytes)
            && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return io_error("cannot write", path);
  }
  return {};
}

/// The secret key in the file `path`, nullopt if there is none (a reader's directory).
expected<std::optional<secret_key>> read_secret_key_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return std::optional<secret_key>{};
    return io_error("cannot open", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return io_error("cannot stat", path);
  }
  if (st.st_mode & 077) {
    ::close(fd);
    return error{base_errc::io_error, path + " is readable by other users; chmod 600 it"};
  }
  secret_key sk;
  ssize_t n = ::read(fd, sk.data(), secret_key::size_bytes);
  uint8_t extra;
  ssize_t more = ::read(fd, &extra, 1);
  ::close(fd);
  if (n != static_cast<ssize_t>(secret_key::size_bytes) || more != 0)
    return error{store_errc::corrupt, path + " does not hold a 64-byte secret key"};
  return std::optional<secret_key>{sk};
}

/// True when `db` is a database whose creation was cut short: RocksDB writes CURRENT last when
/// it makes one, and no write-ahead log, table or options file can exist before it. Such a
/// directory never held a byte of ours. A database that lost its CURRENT later still has its
/// logs or tables, and is left to RocksDB's error.
bool creation_cut_short(const std::string& db) {
  DIR* d = ::opendir(db.c_str());
  if (!d)
    return false;
  bool cut = true;
  while (dirent* entry = ::readdir(d)) {
    std::string_view name = entry->d_name;
    auto ends_with = [&](std::string_view tail) {
      return name.size() >= tail.size() && name.substr(name.size() - tail.size()) == tail;
    };
    if (name == "CURRENT" || name.rfind("OPTIONS-", 0) == 0 || ends_with(".log") ||
        ends_with(".sst")) {
      cut = false;
      break;
    }
  }
  ::closedir(d);
  return cut;
}

} // namespace

expected<std::optional<secret_key>> read_secret_key(const std::string& dir) {
  return read_secret_key_file(secret_key_path(dir));
}

void remove_new(const std::string& dir) {
  ::unlink(secret_key_path(dir).c_str());
  std::string db = db_path(dir);
  if (DIR* d = ::opendir(db.c_str())) {
    while (dirent* entry = ::readdir(d))
      if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
        ::unlink((db + "/" + entry->d_name).c_str());
    ::closedir(d);
  }
  ::rmdir(db.c_str());
  ::rmdir(dir.c_str());
}

expected<std::unique_ptr<rocks_store>> create(const std::string& dir, const secret_key* sk,
                                              rocks_options options) {
  if (auto st = prepare_new_dir(dir); !st)
    return std::move(st).error();
  if (sk)
    if (auto st = write_secret_key(secret_key_path(dir), *sk); !st) {
      remove_new(dir);
      return std::move(st).error();
    }
  options.create_if_missing = true;
  auto store = rocks_store::open(db_path(dir), options);
  if (!store)
    remove_new(dir);
  return store;
}

expected<opened> open(const std::string& dir, rocks_options options, const char* kind) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return error{store_errc::not_found, dir + " is not a directory"};
  if (::stat(db_path(dir).c_str(), &st) != 0)
    return error{store_errc::not_found, dir + " is not a " + kind + " directory"};
  auto sk = read_secret_key_file(secret_key_path(dir));
  if (!sk)
    return std::move(sk).error();
  options.create_if_missing = false;
  if (creation_cut_short(db_path(dir))) {
    // Killed while RocksDB made the database: it holds nothing. A reading command says so; a
    // writing one finishes the creation, which leaves what a kill just after it would have.
    if (options.read_only)
      return error{store_errc::not_found, dir + " holds no feed: its creation was cut short"};
    options.create_if_missing = true;
  }
  auto store = rocks_store::open(db_path(dir), options);
  if (!store)
    return std::move(store).error();
  return opened{std::move(*store), std::move(*sk)};
}

} // namespace dynfeed::store_dir
