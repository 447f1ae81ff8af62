#pragma once

/// Running the dynfeed program (and test helpers) as child processes.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dynfeed::test {

struct process_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs `argv` to completion with `input` on stdin; captures stdout and stderr.
inline process_result run_process(const std::vector<std::string>& argv,
                                  const std::string& input = {}) {
  char in_path[] = "/tmp/dynfeed-in-XXXXXX";
  char out_path[] = "/tmp/dynfeed-out-XXXXXX";
  char err_path[] = "/tmp/dynfeed-err-XXXXXX";
  int in_fd = ::mkstemp(in_path);
  int out_fd = ::mkstemp(out_path);
  int err_fd = ::mkstemp(err_path);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0)
    throw std::runtime_error("mkstemp failed");
  if (!input.empty() && ::write(in_fd, input.data(), input.size()) != static_cast<ssize_t>(input.size()))
    throw std::runtime_error("cannot write stdin file");
  ::lseek(in_fd, 0, SEEK_SET);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(in_fd);
  ::close(out_fd);
  ::close(err_fd);
  process_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  ::unlink(in_path);
  ::unlink(out_path);
  ::unlink(err_path);
  return r;
}

/// A child whose stdout the test reads line by line while it runs; its stderr goes to
/// `err_path` if given (to read once it ended), to the test's stderr otherwise.
class child_process {
public:
  explicit child_process(const std::vector<std::string>& argv, const std::string& err_path = {}) {
    int fds[2];
    if (::pipe(fds) != 0)
      throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      if (!err_path.empty()) {
        int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (err_fd < 0)
          ::_exit(126);
        ::dup2(err_fd, 2);
        ::close(err_fd);
      }
      std::vector<char*> args;
      for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
  }
  ~child_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    if (out_)
      std::fclose(out_);
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// The next line of output (of any length), false at end of output.
  bool read_line(std::string& line) {
    line.clear();
    char buf[256];
    while (std::fgets(buf, sizeof(buf), out_)) {
      line += buf;
      if (line.back() == '\n') {
        line.pop_back();
        return true;
      }
    }
    return !line.empty();
  }
  void kill(int sig) { ::kill(pid_, sig); }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

} // namespace dynfeed::test
