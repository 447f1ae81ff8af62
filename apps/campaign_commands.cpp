/// dynfeed sim campaign: a seeded fault campaign (dynfeed/sim/campaign.hpp), each seed in a
/// child process of its own, results in seed order.

#include "apps/cli.hpp"
#include "dynfeed/sim/campaign.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

namespace dynfeed::cli {

namespace {

struct campaign_options {
  std::string seeds;
  std::optional<uint64_t> show;
  unsigned jobs = 0; ///< 0: one per core
};

/// The result as one tab-separated line, from a child to its parent over a pipe.
std::string encode(const sim::campaign_result& r) {
  std::string why = r.violation;
  for (char& c : why)
    if (c == '\t' || c == '\n')
      c = ' ';
  char head[160];
  std::snprintf(head, sizeof head, "%d\t%016llx\t%.3f\t%.3f\t", r.passed ? 1 : 0,
                static_cast<unsigned long long>(r.digest), r.virtual_s, r.wall_s);
  return head + why;
}

sim::campaign_result decode(uint64_t seed, const std::string& line) {
  sim::campaign_result r;
  r.seed = seed;
  std::istringstream in(line);
  std::string passed, digest, virt, wall;
  if (!std::getline(in, passed, '\t') || !std::getline(in, digest, '\t') ||
      !std::getline(in, virt, '\t') || !std::getline(in, wall, '\t')) {
    r.violation = "the child process gave no result";
    return r;
  }
  std::getline(in, r.violation);
  r.passed = passed == "1";
  r.digest = std::stoull(digest, nullptr, 16);
  r.virtual_s = std::stod(virt);
  r.wall_s = std::stod(wall);
  return r;
}

struct child {
  uint64_t seed = 0;
  int fd = -1;
};

/// Forks a child that runs one seed and writes its result line to a pipe (a line fits the
/// pipe's buffer, so the child never waits for the parent).
pid_t spawn(uint64_t seed, child& out) {
  int fds[2];
  if (pipe(fds) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    std::string line = encode(sim::run_case(sim::generate_case(seed)));
    line = line.substr(0, 60000);
    ssize_t ignored = write(fds[1], line.data(), line.size());
    (void)ignored;
    _exit(0);
  }
  close(fds[1]);
  out = child{seed, fds[0]};
  return pid;
}

/// Reads a finished child's line; a child that died (an assertion, a signal) fails its seed.
sim::campaign_result collect(const child& c, int status) {
  std::string line;
  char buf[4096];
  for (ssize_t n; (n = read(c.fd, buf, sizeof buf)) > 0;)
    line.append(buf, static_cast<size_t>(n));
  close(c.fd);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !line.empty())
    return decode(c.seed, line);
  sim::campaign_result r;
  r.seed = c.seed;
  r.violation = WIFSIGNALED(status)
                  ? "the run died of signal " + std::to_string(WTERMSIG(status))
                  : "the run exited with status " + std::to_string(WEXITSTATUS(status));
  return r;
}

void print(const sim::campaign_result& r, const std::string& description) {
  std::printf("seed %-6llu %-58s %s  digest %016llx  virtual %5.0f s  wall %6.2f s\n",
              static_cast<unsigned long long>(r.seed), description.c_str(),
              r.passed ? "ok  " : "FAIL", static_cast<unsigned long long>(r.digest), r.virtual_s,
              r.wall_s);
  if (!r.passed)
    std::printf("  %s\n  reproduce: dynfeed sim campaign --seeds %llu-%llu   (or: dynfeed sim "
                "campaign --show %llu > seed.json && dynfeed sim seed.json)\n",
                r.violation.c_str(), static_cast<unsigned long long>(r.seed),
                static_cast<unsigned long long>(r.seed), static_cast<unsigned long long>(r.seed));
  std::fflush(stdout);
}

/// "A-B" (or "A") into a first and last seed.
bool parse_seeds(const std::string& text, uint64_t& first, uint64_t& last, std::string& message) {
  auto dash = text.find('-');
  std::string a = text.substr(0, dash);
  std::string b = dash == std::string::npos ? a : text.substr(dash + 1);
  auto lo = parse_u64(a, "--seeds (first)", message);
  auto hi = lo ? parse_u64(b, "--seeds (last)", message) : std::nullopt;
  if (!lo || !hi)
    return false;
  if (*hi < *lo || *hi - *lo >= 100000000) {
    message = "--seeds A-B needs A <= B and at most 10^8 seeds";
    return false;
  }
  first = *lo;
  last = *hi;
  return true;
}

/// Runs seeds [first, last], `jobs` children at a time, and prints each result in seed order
/// as soon as every seed before it has been printed. Returns the number that failed.
uint64_t run_seeds(uint64_t first, uint64_t last, unsigned jobs, double& virtual_s) {
  std::map<pid_t, child> running;
  std::map<uint64_t, sim::campaign_result> done;
  uint64_t next = first, failed = 0;
  bool more = true; // next <= last, without overflow at the top of the range
  uint64_t printed = 0, total = last - first + 1;
  while (printed < total) {
    while (more && running.size() < jobs) {
      child c;
      pid_t pid = spawn(next, c);
      running.emplace(pid, c);
      more = next != last;
      ++next;
    }
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0)
      throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    auto it = running.find(pid);
    if (it == running.end())
      continue;
    sim::campaign_result r = collect(it->second, status);
    running.erase(it);
    done.emplace(r.seed, std::move(r));
    for (auto d = done.find(first + printed); d != done.end(); d = done.find(first + printed)) {
      print(d->second, sim::generate_case(d->first).description);
      failed += d->second.passed ? 0 : 1;
      virtual_s += d->second.virtual_s;
      done.erase(d);
      ++printed;
    }
  }
  return failed;
}

int run_campaign(const campaign_options& o) {
  if (o.show) {
    std::fputs(sim::generate_case(*o.show).json.c_str(), stdout);
    return exit_ok;
  }
  uint64_t first = 0, last = 0;
  std::string message = "--seeds A-B is required (or --show SEED)";
  if (o.seeds.empty() || !parse_seeds(o.seeds, first, last, message))
    return report(message, exit_usage);
  unsigned jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  auto wall_start = std::chrono::steady_clock::now();
  double virtual_s = 0;
  uint64_t failed = run_seeds(first, last, jobs, virtual_s);
  double wall_s =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::printf("%llu seeds, %llu failed, %.2f virtual hours in %.1f s of wall time (%u jobs)\n",
              static_cast<unsigned long long>(last - first + 1),
              static_cast<unsigned long long>(failed), virtual_s / 3600, wall_s, jobs);
  return failed ? exit_error : exit_ok;
}

} // namespace

void add_campaign_command(CLI::App& sim, command& run) {
  auto o = std::make_shared<campaign_options>();
  auto* c = sim.add_subcommand(
    "campaign", "a seeded fault campaign: each seed picks a whole configuration, runs it and "
                "checks the invariants and liveness; one line per seed, non-zero exit on any "
                "failure");
  c->add_option("--seeds", o->seeds, "the seeds to run, A-B (inclusive) or A");
  c->add_option("--show", o->show, "print the scenario JSON that SEED generates, and stop");
  c->add_option("--jobs", o->jobs, "seeds run in parallel (child processes; default one per core)");
  c->callback([&run, o] { run = [o] { return run_campaign(*o); }; });
}

} // namespace dynfeed::cli
