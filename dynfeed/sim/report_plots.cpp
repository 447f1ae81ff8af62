// write_report and its plots: gnuplot scripts and data files, gnuplot run as a child process.

#include "dynfeed/sim/report.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace dynfeed::sim {

namespace fs = std::filesystem;

namespace {

/// The axes plots are drawn against, with their labels.
const std::vector<std::pair<std::string, std::string>>& x_axes() {
  static const std::vector<std::pair<std::string, std::string>> axes = {
    {"append_interval_s", "append interval (s)"}, {"readers", "readers"},
    {"poll_interval_s", "dht ID channel's poll interval (s)"}};
  return axes;
}

struct plot_series {
  std::string title;
  std::vector<const report_cell*> points; ///< by x
};

/// One PNG: every metric in a panel, for one mode and ID channel, against one axis.
struct plot_plan {
  std::string slug;
  std::string title;
  std::string x_label;
  size_t x_index = 0;
  std::vector<plot_series> series;
};

std::string slug_of(const std::string& text) {
  std::string out;
  for (char c : text)
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_';
  return out;
}

/// A gnuplot single-quoted string (a quote inside is doubled).
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "''";
    else if (c != '\n')
      out += c;
  }
  return out + "'";
}

double x_of(const plot_plan& p, const report_cell* c) {
  return std::strtod(c->axis_values[p.x_index].c_str(), nullptr);
}

/// The series of one mode and ID channel against axis x: one per combination of the other
/// axes' values (mode and ID channel aside).
std::vector<plot_series> series_of(const suite_summary& suite, const std::vector<const report_cell*>& cells,
                                   size_t x) {
  std::map<std::string, plot_series> by_title;
  std::vector<std::string> order;
  for (const report_cell* c : cells) {
    std::string title;
    for (size_t i = 0; i < suite.axes.size(); ++i) {
      if (i == x || suite.axes[i] == "mode" || suite.axes[i] == "id_channel")
        continue;
      title += (title.empty() ? "" : ", ") + suite.axes[i] + "=" + c->axis_values[i];
    }
    if (title.empty())
      title = "all runs";
    if (!by_title.count(title))
      order.push_back(title);
    by_title[title].title = title;
    by_title[title].points.push_back(c);
  }
  std::vector<plot_series> out;
  for (const std::string& t : order)
    out.push_back(std::move(by_title[t]));
  return out;
}

std::vector<plot_plan> plan_plots(const suite_summary& suite, const std::vector<report_cell>& cells) {
  std::map<std::pair<std::string, std::string>, std::vector<const report_cell*>> groups;
  for (const report_cell& c : cells)
    groups[{c.mode, c.id_channel}].push_back(&c);
  std::vector<plot_plan> out;
  for (const auto& [group, members] : groups) {
    for (const auto& [axis, label] : x_axes()) {
      auto at = std::find(suite.axes.begin(), suite.axes.end(), axis);
      if (at == suite.axes.end())
        continue;
      plot_plan p;
      p.x_index = static_cast<size_t>(at - suite.axes.begin());
      p.x_label = label;
      p.slug = slug_of(group.first + "-" + group.second + "-vs-" + axis);
      p.title = "mode " + group.first + ", ID channel " + group.second + ": against the " + label;
      p.series = series_of(suite, members, p.x_index);
      std::vector<double> xs;
      for (plot_series& s : p.series) {
        std::stable_sort(s.points.begin(), s.points.end(),
                         [&](auto* a, auto* b) { return x_of(p, a) < x_of(p, b); });
        for (const report_cell* c : s.points)
          xs.push_back(x_of(p, c));
      }
      std::sort(xs.begin(), xs.end());
      if (std::unique(xs.begin(), xs.end()) - xs.begin() >= 2) // one x value is no curve
        out.push_back(std::move(p));
    }
  }
  return out;
}

/// Blocks of rows "x median q1 q3 ..." (three columns per metric), one block per series.
std::string plot_data(const plot_plan& p) {
  std::ostringstream out;
  char cell[40];
  for (const plot_series& s : p.series) {
    out << "# " << s.title << '\n';
    for (const report_cell* c : s.points) {
      std::snprintf(cell, sizeof cell, "%.10g", x_of(p, c));
      out << cell;
      for (const spread& m : c->metrics)
        for (const auto& v : {m.median, m.q1, m.q3}) {
          std::snprintf(cell, sizeof cell, " %.10g", v ? *v : NAN);
          out << (v ? cell : " NaN");
        }
      out << '\n';
    }
    out << "\n\n";
  }
  return out.str();
}

bool has_values(const plot_plan& p, size_t metric) {
  for (const plot_series& s : p.series)
    for (const report_cell* c : s.points)
      if (c->metrics[metric].median)
        return true;
  return false;
}

std::string plot_script(const plot_plan& p) {
  const auto& metrics = report_metrics();
  bool positive = true; // a log scale (the axes span decades) needs x > 0
  for (const plot_series& s : p.series)
    for (const report_cell* c : s.points)
      positive = positive && x_of(p, c) > 0;
  std::ostringstream out;
  out << "set output " << quoted(p.slug + ".png") << "\n"
      << "set multiplot layout 4,3 title " << quoted(p.title) << "\n"
      << (positive ? "set logscale x\n" : "unset logscale x\n")
      << "set xlabel " << quoted(p.x_label) << "\n";
  for (size_t m = 0; m < metrics.size(); ++m) {
    if (!has_values(p, m)) {
      out << "set multiplot next\n";
      continue;
    }
    out << "set title " << quoted(metrics[m].label) << "\n"
        << (m == 0 ? "set key top left font ',7'\n" : "unset key\n") << "plot ";
    for (size_t i = 0; i < p.series.size(); ++i)
      out << (i ? ", " : "") << quoted(p.slug + ".dat") << " index " << i << " using 1:"
          << 2 + 3 * m << ':' << 3 + 3 * m << ':' << 4 + 3 * m << " with yerrorlines title "
          << quoted(p.series[i].title);
    out << "\n";
  }
  return out.str() + "unset multiplot\n";
}

/// The path of gnuplot: `name` itself when it holds a slash, else the first on PATH.
std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return std::nullopt;
}

/// Runs `program script` in `dir` and waits for it.
error run_gnuplot(const std::string& program, const fs::path& dir, const std::string& script) {
  pid_t child = fork();
  if (child < 0)
    return error{base_errc::io_error, "cannot start gnuplot: fork failed"};
  if (child == 0) {
    if (chdir(dir.c_str()) != 0)
      _exit(126);
    // Its warnings (a flat range, say) are noise next to ours; they stay in gnuplot.log.
    int log = ::open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0)
      dup2(log, STDERR_FILENO);
    execl(program.c_str(), program.c_str(), script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR)
      return error{base_errc::io_error, "lost track of gnuplot"};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return error{base_errc::io_error,
                 program + " failed on " + (dir / script).string() + ", see " +
                   (dir / "gnuplot.log").string() + " (exit status " +
                   std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")"};
  return {};
}

error write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush())
    return error{base_errc::io_error, "cannot write " + path.string()};
  return {};
}

/// Files a report reads are small; a summary.json larger than this is not one of ours.
constexpr std::uintmax_t input_size_max = 16u << 20;

expected<std::string> read_text(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec)
    return error{base_errc::io_error, path.string() + ": " + ec.message()};
  if (size > input_size_max)
    return error{base_errc::invalid_argument, path.string() + ": larger than 16 MiB, not a sweep's file"};
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return error{base_errc::io_error, path.string() + ": cannot open"};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Draws every plan into dir/plots; returns the PNGs.
expected<std::vector<fs::path>> draw(const fs::path& dir, const std::vector<plot_plan>& plans,
                                     const report_options& options) {
  auto gnuplot = find_program(options.gnuplot);
  if (!gnuplot)
    return error{base_errc::unsupported,
                 "gnuplot not found (" + options.gnuplot +
                   "): install gnuplot-nox (scripts/setup.sh does), or pass --no-plots"};
  fs::path plots = dir / "plots";
  std::error_code ec;
  fs::create_directories(plots, ec);
  if (ec)
    return error{base_errc::io_error, "cannot create " + plots.string() + ": " + ec.message()};
  // Earlier reports' files go, so that no plot of a cell since removed lingers.
  for (const auto& entry : fs::directory_iterator(plots, ec))
    if (entry.path().extension() == ".png" || entry.path().extension() == ".dat")
      fs::remove(entry.path(), ec);
  std::string script = "set terminal pngcairo noenhanced size 1200,1000 font ',9'\n"
                       "set datafile missing 'NaN'\nset grid\n";
  std::vector<fs::path> out;
  for (const plot_plan& p : plans) {
    if (auto err = write_text(plots / (p.slug + ".dat"), plot_data(p)))
      return err;
    script += plot_script(p);
    out.push_back(plots / (p.slug + ".png"));
  }
  if (auto err = write_text(plots / "plots.gp", script))
    return err;
  if (auto err = run_gnuplot(*gnuplot, plots, "plots.gp"))
    return err;
  for (const fs::path& png : out)
    if (!fs::exists(png, ec) || fs::file_size(png, ec) == 0)
      return error{base_errc::io_error, "gnuplot wrote no " + png.string()};
  return out;
}

std::string markdown(const suite_summary& suite, const std::vector<report_cell>& cells,
                     const std::vector<plot_plan>& plans, size_t runs, size_t failed,
                     const std::vector<std::string>& where) {
  std::ostringstream out;
  out << "# " << suite.name << "\n\n";
  if (!suite.description.empty())
    out << suite.description << "\n\n";
  if (!where.empty()) {
    out << "Only the runs of";
    for (const std::string& condition : where)
      out << " `--where " << condition << "`";
    out << ": ";
  }
  out << runs << " finished runs of the " << suite.runs_planned << " in the suite, in "
      << cells.size() << " cells; " << failed
      << " failed (an invariant broke: their figures are included and counted per cell). "
         "Each figure is the median over the cell's seeds, with the interquartile range in "
         "brackets (quantiles interpolated linearly); \"none\" counts runs without the "
         "figure (an append that never reached that share). The metrics are defined in "
         "docs/fragmentation.md. Written by `dynfeed sim report`.\n\n"
      << "## Results\n\n"
      << results_table(suite, cells);
  if (!plans.empty())
    out << "\n## Plots\n\nMedian over seeds, error bars from the first to the third quartile.\n";
  for (const plot_plan& p : plans)
    out << "\n### " << p.title << "\n\n![" << p.title << "](plots/" << p.slug << ".png)\n";
  return out.str();
}

/// The finished runs under dir/runs: directories holding a summary.json, by name.
expected<std::vector<run_result>> read_runs(const fs::path& dir, const suite_summary& suite) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "runs", ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !fs::is_regular_file(entry.path() / "summary.json", ec))
      continue; // not finished, or a sweep's temporary directory
    found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  if (found.empty())
    return error{base_errc::invalid_argument,
                 "no finished run in " + (dir / "runs").string() +
                   " (a finished run is a directory holding summary.json)"};
  std::vector<run_result> runs;
  for (const fs::path& run : found) {
    auto text = read_text(run / "summary.json");
    if (!text)
      return text.error();
    auto parsed = parse_run(*text, (run / "summary.json").string(), suite);
    if (!parsed)
      return parsed.error();
    parsed->name = run.filename().string();
    runs.push_back(std::move(*parsed));
  }
  return runs;
}

} // namespace

expected<report_files> write_report(const fs::path& dir, const report_options& options) {
  std::error_code ec;
  fs::path suite_path = dir / "suite.json";
  if (!fs::is_regular_file(suite_path, ec))
    return error{base_errc::invalid_argument,
                 suite_path.string() + " not found: not a sweep's directory (dynfeed sim sweep SUITE --out DIR)"};
  auto suite_text = read_text(suite_path);
  if (!suite_text)
    return suite_text.error();
  auto suite = parse_suite_summary(*suite_text, suite_path.string());
  if (!suite)
    return suite.error();
  auto runs = read_runs(dir, *suite);
  if (!runs)
    return runs.error();
  if (!options.where.empty()) {
    runs = filter_runs(std::move(*runs), *suite, options.where);
    if (!runs)
      return runs.error();
  }
  fs::path out = options.into.empty() ? dir : options.into;
  if (!options.into.empty()) {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec)
      return error{base_errc::io_error, "cannot create " + out.string() + ": " + ec.message()};
  }
  std::vector<report_cell> cells = group_cells(*runs);
  std::vector<plot_plan> plans = options.plots ? plan_plots(*suite, cells) : std::vector<plot_plan>{};
  report_files files;
  if (!plans.empty()) {
    auto pngs = draw(out, plans, options);
    if (!pngs)
      return pngs.error();
    files.plots = std::move(*pngs);
  }
  size_t failed = std::count_if(runs->begin(), runs->end(), [](auto& r) { return r.violated; });
  files.markdown = out / "report.md";
  if (auto err = write_text(files.markdown, markdown(*suite, cells, plans, runs->size(), failed, options.where)))
    return err;
  files.runs = runs->size();
  files.cells = cells.size();
  return files;
}

} // namespace dynfeed::sim
