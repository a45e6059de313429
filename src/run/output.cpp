#include "run/output.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "result/document.h"
#include "run/errors.h"

namespace connperf::run {

namespace {

void print(std::FILE* to, const std::string& text) {
  if (text.empty()) return;
  std::fputs(text.c_str(), to);
  std::fflush(to);
}

std::string seconds_text(double s) {
  return s < 60 ? fmt::format("{:.0f} s", s)
                : fmt::format("{}m{:02.0f}s", static_cast<long>(s / 60),
                              std::floor(std::fmod(s, 60)));
}

}  // namespace

NdjsonStream::NdjsonStream(const std::string& path) {
  if (path.empty()) return;
  if (path == "-") {
    f_ = stdout;
    return;
  }
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) throw RunError("cannot write NDJSON to " + path);
  owned_ = true;
}

NdjsonStream::~NdjsonStream() {
  if (owned_) std::fclose(f_);
}

void NdjsonStream::line(const nlohmann::json& j) {
  if (!f_) return;
  const std::string text = j.dump() + '\n';
  std::fputs(text.c_str(), f_);
  std::fflush(f_);
}

void NdjsonStream::start(const nlohmann::json& doc) {
  nlohmann::json e = {{"event", "start"}};
  for (const auto& [key, value] : doc.items())
    if (key != "intervals" && key != "summary") e[key] = value;
  line(e);
}

void NdjsonStream::interval(const nlohmann::json& j) {
  if (!f_) return;
  nlohmann::json e = {{"event", "interval"}};
  e.update(j);
  line(e);
}

void NdjsonStream::end(const nlohmann::json& summary) {
  line({{"event", "end"}, {"summary", summary}});
}

Progress::Progress() : tty_(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() { clear(); }

void Progress::show(const std::string& text) {
  if (!tty_) return;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void Progress::clear() {
  if (!shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown_ = false;
}

std::string progress_text(double elapsed, double total, double fraction) {
  if (fraction >= 0) {
    const double f = std::min(fraction, 1.0);
    std::string text = fmt::format("{:.0f}% of -n done, {:.1f} s", f * 100, elapsed);
    if (f > 0 && f < 1) text += fmt::format(", about {} left", seconds_text(elapsed / f - elapsed));
    return text;
  }
  if (total <= 0) return fmt::format("{:.1f} s", elapsed);
  const double f = std::min(elapsed / total, 1.0);
  return fmt::format("{:.1f} s of {}, {:.0f}%, {} left", elapsed, seconds_text(total), f * 100,
                     seconds_text(std::max(0.0, total - elapsed)));
}

std::string step_progress_text(std::size_t step, std::size_t steps, double elapsed_in_step,
                               double step_seconds, const std::string& what) {
  const double left = static_cast<double>(steps - step - 1) * step_seconds +
                      std::max(0.0, step_seconds - elapsed_in_step);
  return fmt::format("step {} of {}: {}, about {} left", step + 1, steps, what,
                     seconds_text(left));
}

Output::Output(const OutputSettings& settings, const std::string& command,
               nlohmann::json config, bool talk)
    : settings_(settings),
      talk_(talk && !settings.silent),
      doc_(result::document(command, std::move(config))),
      stream_(talk_ ? settings.ndjson : std::string()),
      hdr_(talk_ ? settings.hdr_log : std::string()) {
  stream_.start(doc_);
}

// The --hdr-log tags: what the run measures, read from its config (--tls; cc times its connects
// and, with --keepalive, their replies; no connection of its has a total).
void Output::started(std::uint64_t t0_ns) {
  const std::string command = doc_.value("command", "");
  const nlohmann::json& config = doc_["config"];
  HdrLog::Tags tags;
  tags.tls = config.contains("tls");
  if (command == "cc") {
    tags.response = config.value("keepalive", 0.0) > 0;
    tags.total = false;
  }
  hdr_.start(command, t0_ns, tags);
}

void Output::latency(double t, double seconds, const stats::ClientSnapshot& d,
                     std::string_view phase) {
  hdr_.interval(t, seconds, d, phase);
}

void Output::banner(const std::string& text) {
  if (talk_ && !settings_.quiet) print(settings_.human(), text);
}

void Output::interval(nlohmann::json j, const std::string& line) {
  stream_.interval(j);
  doc_["intervals"].push_back(std::move(j));
  progress_.clear();
  if (talk_ && !settings_.quiet && !line.empty()) print(settings_.human(), line + '\n');
}

void Output::step(const nlohmann::json& j, const std::string& row) {
  stream_.interval(j);
  if (!row.empty()) text(row + '\n');
}

void Output::status(const std::string& text) {
  if (talk_ && !settings_.quiet && progress_.enabled()) progress_.show(text);
}

void Output::text(const std::string& text) {
  progress_.clear();
  if (talk_) print(settings_.human(), text);
}

void Output::end() {
  progress_.clear();
  stream_.end(doc_["summary"]);
  if (settings_.keep) *settings_.keep = doc_;
  if (talk_ && !settings_.json.empty()) {
    try {
      result::write_json(settings_.json, doc_);
    } catch (const std::runtime_error& e) {
      throw RunError(e.what());
    }
  }
}

}  // namespace connperf::run
