/// dynfeed sim sweep: runs every run of a suite (dynfeed/sim/suite.hpp), each as a child
/// `dynfeed sim` process, N at once; resumes a killed sweep; writes a Slurm job-array script.
/// The layout of DIR is docs/sweeps.md's.

#include "apps/cli.hpp"
#include "dynfeed/sim/suite.hpp"
#include "dynfeed/sim/sweep_results.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dynfeed::cli {

namespace {

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

struct sweep_options {
  std::string suite;
  std::string out;
  unsigned jobs = 0; ///< 0: one per core
  std::optional<size_t> only;
  std::vector<std::string> where; ///< FIELD=VALUE[,VALUE...] conditions, all to hold
  std::string emit;
  bool collect = false;
  bool quiet = false;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Writes `path` whole or not at all: a temporary file renamed into place, so that a reader
/// (another array task, `sim report`) never sees half of it.
void write_atomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush())
      throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

/// Makes DIR/runs and DIR/tmp and records the suite in DIR/suite.json, or refuses a DIR that
/// holds another suite's runs.
std::optional<std::string> prepare_dir(const fs::path& dir, const sim::suite& s) {
  std::error_code ec;
  fs::create_directories(dir / "runs", ec);
  if (!ec)
    fs::create_directories(dir / "tmp", ec);
  if (ec)
    return "cannot create " + (dir / "runs").string() + ": " + ec.message();
  std::string text = sim::to_json(s);
  fs::path recorded = dir / "suite.json";
  if (fs::exists(recorded)) {
    if (read_text(recorded) != text)
      return recorded.string() + " holds a different suite: give another --out, or remove " +
             dir.string() + " to start again";
    return std::nullopt;
  }
  write_atomically(recorded, text);
  return std::nullopt;
}

/// Removes what runs of this host left half done in DIR/tmp when they were killed (their
/// process is gone); other hosts' (array tasks on a shared filesystem) are theirs to finish.
void remove_stale(const fs::path& dir) {
  std::string suffix = "." + host_name() + ".";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "tmp", ec)) {
    std::string name = entry.path().filename().string();
    size_t at = name.rfind(suffix);
    if (at == std::string::npos)
      continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + at + suffix.size()));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH)
      fs::remove_all(entry.path(), ec);
  }
}

bool finished(const fs::path& dir, const sim::suite_run& run) {
  return fs::exists(dir / "runs" / run.name / "run.json");
}

struct running_run {
  pid_t pid = -1;
  size_t index = 0;
  fs::path tmp;
  steady::time_point start;
};

/// Starts `dynfeed sim` on the run's scenario, writing into a directory of its own.
running_run start_run(const fs::path& dir, const sim::suite& s, size_t index) {
  const sim::suite_run& run = s.runs[index];
  running_run r{-1, index, dir / "tmp" / (run.name + "." + host_name() + "." +
                                          std::to_string(::getpid())),
                steady::now()};
  fs::remove_all(r.tmp);
  fs::create_directories(r.tmp);
  std::ofstream(r.tmp / "scenario.json", std::ios::binary) << sim::run_scenario_json(s, run);
  std::vector<std::string> args = {fs::read_symlink("/proc/self/exe").string(), "sim",
                                   (r.tmp / "scenario.json").string(), "--out", r.tmp.string(),
                                   "--quiet"};
  pid_t parent = ::getpid();
  r.pid = ::fork();
  if (r.pid < 0)
    throw std::runtime_error("cannot start a run: fork failed");
  if (r.pid == 0) {
    // A killed sweep takes its runs along; the next one starts them again.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    int out = ::open((r.tmp / "stdout.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open((r.tmp / "stderr.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0)
      ::_exit(126);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return r;
}

enum class outcome { ok, failed, interrupted, error };

/// What the child's end means: ok; failed (an invariant broke, or it crashed: recorded, not
/// run again); interrupted (killed from outside: run again next time); error (it could not
/// run at all: said, not recorded).
std::pair<outcome, std::string> judge(const running_run& r, int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGKILL || sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
      return {outcome::interrupted, "killed by signal " + std::to_string(sig)};
    return {outcome::failed, "crashed (signal " + std::to_string(sig) + ")"};
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  bool summary = fs::exists(r.tmp / "summary.json");
  if (code == 0 && summary)
    return {outcome::ok, ""};
  if (code == exit_error && summary) {
    auto j = nlohmann::json::parse(read_text(r.tmp / "summary.json"), nullptr, false);
    if (!j.is_discarded() && j.contains("violation") && j["violation"].is_object())
      return {outcome::failed, "invariant violated: " + j["violation"].value("what", "")};
  }
  std::string err = read_text(r.tmp / "stderr.txt");
  while (!err.empty() && err.back() == '\n')
    err.pop_back();
  return {outcome::error, "exit " + std::to_string(code) + ": " + err.substr(err.rfind('\n') + 1)};
}

/// Records a finished run: run.json into its directory, then the directory into place.
void record(const fs::path& dir, const sim::suite& s, const running_run& r, outcome o,
            const std::string& reason) {
  const sim::suite_run& run = s.runs[r.index];
  nlohmann::json j = {{"index", run.index}, {"name", run.name}, {"seed", run.seed},
                      {"status", o == outcome::ok ? "ok" : "failed"}, {"reason", reason}};
  std::ofstream(r.tmp / "run.json", std::ios::binary) << j.dump(2) << "\n";
  std::error_code ec;
  fs::rename(r.tmp, dir / "runs" / run.name, ec);
  if (ec) // another process finished the same run first: theirs stands
    fs::remove_all(r.tmp, ec);
}

std::string duration_text(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  return text;
}

struct sweep_progress {
  size_t total = 0, skipped = 0, done = 0, failed = 0, running = 0, todo = 0;
  unsigned jobs = 1;
  double run_seconds = 0; ///< summed over the runs this process finished
  bool tty = false;

  void print() const {
    std::string left = "?";
    if (done == todo) {
      left = duration_text(0);
    } else if (done > 0) {
      double per_run = run_seconds / static_cast<double>(done);
      double remaining = static_cast<double>(todo - done) * per_run / std::max(1u, jobs);
      left = duration_text(remaining);
    }
    std::fprintf(stderr, "%ssweep: %zu/%zu done (%zu before), %zu failed, %zu running, about %s left%s",
                 tty ? "\r" : "", skipped + done, total, skipped, failed, running, left.c_str(),
                 tty ? "   " : "\n");
    std::fflush(stderr);
  }
};

/// The finished runs' directories, as results.csv's rows.
std::vector<sim::run_record> finished_records(const fs::path& dir, const sim::suite& s) {
  std::vector<sim::run_record> out;
  for (const sim::suite_run& run : s.runs) {
    fs::path run_dir = dir / "runs" / run.name;
    if (!finished(dir, run))
      continue;
    auto j = nlohmann::json::parse(read_text(run_dir / "run.json"), nullptr, false);
    std::string status = !j.is_discarded() && j.is_object() ? j.value("status", "") : "";
    out.push_back({run.index, status.empty() ? "failed" : status,
                   fs::exists(run_dir / "summary.json") ? read_text(run_dir / "summary.json") : ""});
  }
  return out;
}

/// Writes results.csv from every finished run of the suite; exit 0 when every selected run
/// (`selected`: indexes, in order) is finished and none failed.
int collect(const fs::path& dir, const sim::suite& s, const std::vector<size_t>& selected) {
  auto records = finished_records(dir, s);
  write_atomically(dir / "results.csv", sim::results_csv(s, records));
  size_t failed = 0, selected_done = 0;
  std::string seeds;
  for (const sim::run_record& r : records) {
    bool in = std::binary_search(selected.begin(), selected.end(), r.index);
    selected_done += in;
    if (r.status != "ok") {
      failed += in;
      seeds += (seeds.empty() ? "" : ", ") + s.runs[r.index].name;
    }
  }
  std::cout << "wrote " << (dir / "results.csv").string() << ": " << records.size() << " of "
            << s.runs.size() << " runs";
  if (selected.size() != s.runs.size())
    std::cout << " (" << selected_done << " of the " << selected.size() << " selected)";
  std::cout << ", " << failed << " failed" << (seeds.empty() ? "" : " (" + seeds + ")") << std::endl;
  return failed == 0 && selected_done == selected.size() ? exit_ok : exit_error;
}

/// Runs `todo` (indexes into the suite's runs), `jobs` at once. False if a run could not run
/// or was killed from outside (the sweep is then incomplete).
bool run_all(const fs::path& dir, const sim::suite& s, const std::vector<size_t>& todo,
             sweep_progress& progress, bool quiet) {
  std::vector<running_run> running;
  size_t next = 0;
  bool complete = true;
  while (next < todo.size() || !running.empty()) {
    while (complete && running.size() < progress.jobs && next < todo.size())
      running.push_back(start_run(dir, s, todo[next++]));
    progress.running = running.size();
    if (!quiet)
      progress.print();
    if (running.empty())
      break;
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    auto it = std::find_if(running.begin(), running.end(),
                           [pid](const running_run& r) { return r.pid == pid; });
    if (it == running.end())
      continue;
    running_run r = *it;
    running.erase(it);
    auto [o, reason] = judge(r, status);
    const sim::suite_run& run = s.runs[r.index];
    if (o == outcome::ok || o == outcome::failed) {
      record(dir, s, r, o, reason);
      progress.run_seconds += std::chrono::duration<double>(steady::now() - r.start).count();
      ++progress.done;
      if (o == outcome::failed) {
        ++progress.failed;
        std::fprintf(stderr, "%sdynfeed: run %s failed (seed %llu): %s\n", progress.tty ? "\n" : "",
                     run.name.c_str(), static_cast<unsigned long long>(run.seed), reason.c_str());
      }
    } else {
      std::fprintf(stderr, "%sdynfeed: run %s did not finish: %s\n", progress.tty ? "\n" : "",
                   run.name.c_str(), reason.c_str());
      std::error_code ec;
      fs::remove_all(r.tmp, ec);
      complete = false;
    }
  }
  progress.running = 0;
  if (!quiet) {
    progress.print();
    if (progress.tty)
      std::fprintf(stderr, "\n");
  }
  return complete;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Slurm's --array list for `indexes` (sorted): ranges, as in 0-4,10-14.
std::string array_ranges(const std::vector<size_t>& indexes) {
  std::string out;
  for (size_t i = 0; i < indexes.size();) {
    size_t j = i;
    while (j + 1 < indexes.size() && indexes[j + 1] == indexes[j] + 1)
      ++j;
    out += (out.empty() ? "" : ",") + std::to_string(indexes[i]);
    if (j > i)
      out += "-" + std::to_string(indexes[j]);
    i = j + 1;
  }
  return out;
}

int emit_slurm(const fs::path& dir, const std::string& suite_path, const sim::suite& s,
               const std::vector<size_t>& selected) {
  fs::create_directories(dir / "slurm");
  fs::path exe = fs::read_symlink("/proc/self/exe");
  std::string job = s.name;
  for (char& c : job)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      c = '_';
  std::ostringstream text;
  text << "#!/bin/bash\n"
       << "# Written by dynfeed sim sweep --emit slurm: one array task per run of suite " << s.name
       << ".\n# DIR must be on a filesystem every node shares. Afterwards:\n#   " << exe.string()
       << " sim sweep " << shell_quote(suite_path) << " --out " << shell_quote(dir.string())
       << " --collect\n"
       << "#SBATCH --job-name=dynfeed-" << job << "\n"
       << "#SBATCH --array=" << array_ranges(selected) << "\n"
       << "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
       << "#SBATCH --output=" << (dir / "slurm" / "%A_%a.out").string() << "\n"
       << "exec " << shell_quote(exe.string()) << " sim sweep " << shell_quote(suite_path)
       << " --out " << shell_quote(dir.string()) << " --only \"$SLURM_ARRAY_TASK_ID\"\n";
  write_atomically(dir / "sweep.sbatch", text.str());
  fs::permissions(dir / "sweep.sbatch", fs::perms::owner_exec, fs::perm_options::add);
  std::cout << "wrote " << (dir / "sweep.sbatch").string() << ": " << selected.size()
            << " array tasks; then: dynfeed sim sweep SUITE --out DIR --collect" << std::endl;
  return exit_ok;
}

/// The runs this command is about: --only's, --where's, or all of them.
expected<std::vector<size_t>> select(const sim::suite& s, const sweep_options& o) {
  if (o.only && !o.where.empty())
    return error{base_errc::invalid_argument, "give --only or --where, not both"};
  if (o.only)
    return std::vector<size_t>{*o.only};
  auto chosen = sim::select_runs(s, o.where);
  if (chosen && chosen->empty())
    return error{base_errc::invalid_argument, "--where: no run of the suite matches every condition"};
  return chosen;
}

int run_sweep(const sweep_options& o) {
  auto loaded = sim::load_suite(o.suite);
  if (!loaded)
    return report(loaded.error());
  const sim::suite& s = *loaded;
  std::error_code ec;
  fs::path dir = fs::absolute(o.out, ec);
  if (o.only && *o.only >= s.runs.size())
    return report("--only " + std::to_string(*o.only) + ": the suite has runs 0 to " +
                    std::to_string(s.runs.size() - 1), exit_usage);
  auto selected = select(s, o);
  if (!selected)
    return report(selected.error().to_string(), exit_usage);
  if (auto err = prepare_dir(dir, s))
    return report(*err);
  if (o.emit == "slurm")
    return emit_slurm(dir, fs::absolute(o.suite).string(), s, *selected);
  if (o.collect)
    return collect(dir, s, *selected);
  remove_stale(dir);
  std::vector<size_t> todo;
  for (size_t index : *selected)
    if (!finished(dir, s.runs[index]))
      todo.push_back(index);
  sweep_progress progress;
  progress.total = selected->size();
  progress.skipped = progress.total - todo.size();
  progress.todo = todo.size();
  progress.jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  progress.tty = ::isatty(STDERR_FILENO);
  if (!run_all(dir, s, todo, progress, o.quiet || o.only))
    return report("the sweep is incomplete; run the same command again to finish it");
  if (o.only) {
    const sim::suite_run& run = s.runs[*o.only];
    auto j = nlohmann::json::parse(read_text(dir / "runs" / run.name / "run.json"), nullptr, false);
    bool ok = !j.is_discarded() && j.is_object() && j.value("status", "") == "ok";
    std::cout << run.name << (todo.empty() ? ": already done, " : ": done, ")
              << (ok ? "ok" : "failed") << std::endl;
    return ok ? exit_ok : exit_error;
  }
  return collect(dir, s, *selected);
}

} // namespace

void add_sweep_command(CLI::App& sim, command& run) {
  auto o = std::make_shared<sweep_options>();
  auto* sweep = sim.add_subcommand(
    "sweep", "run every run of a suite (docs/sweeps.md), N at once; again: resumes, never "
             "redoing a finished run");
  sweep->add_option("suite", o->suite, "the suite file (JSON)")->required();
  sweep->add_option("--out", o->out, "the sweep's directory: runs/, results.csv, suite.json")
    ->required();
  sweep->add_option("--jobs", o->jobs, "runs at once (default: one per core)")
    ->check(CLI::Range(1, 1024));
  sweep->add_option("--only", o->only, "run run I alone (a Slurm array task)");
  sweep->add_option("--where", o->where,
                    "only the runs whose FIELD (an axis, or seed) is one of the VALUEs; "
                    "repeat for several fields (all must hold); same indexes and names")
    ->type_name("FIELD=VALUE[,VALUE...]")
    ->allow_extra_args(false);
  sweep->add_option("--emit", o->emit, "write DIR/sweep.sbatch, a Slurm job-array script, and "
                                       "run nothing")
    ->check(CLI::IsMember({"slurm"}));
  sweep->add_flag("--collect", o->collect,
                  "run nothing: write results.csv from the runs finished so far");
  sweep->add_flag("--quiet", o->quiet, "no progress line");
  sweep->callback([&run, o] { run = [o] { return run_sweep(*o); }; });
}

} // namespace dynfeed::cli
