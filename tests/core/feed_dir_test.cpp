#include "dynfeed/core/feed_dir.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/feed/errc.hpp"
#include "support/file_mode.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

using namespace dynfeed;
namespace fs = std::filesystem;
using test::mode_of;

namespace {

std::vector<bytes> blocks_for_dir() {
  std::vector<bytes> out;
  for (int i = 0; i < 300; ++i) {
    std::string s = "entry " + std::to_string(i) + std::string(static_cast<size_t>(i % 50), '#');
    out.emplace_back(s.begin(), s.end());
  }
  return out;
}

/// The names of the files in `dir`, sorted.
std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  return names;
}

/// Leaves in `db` what RocksDB has written before CURRENT when it makes a database: removes
/// CURRENT and every file that can only come after it.
void cut_before_current(const std::string& db) {
  for (const std::string& name : names_in(db))
    if (name == "CURRENT" || name.rfind("OPTIONS-", 0) == 0 || fs::path(name).extension() == ".log")
      fs::remove(db + "/" + name);
}

} // namespace

BOOST_AUTO_TEST_SUITE(feed_directory)

BOOST_AUTO_TEST_CASE(the_secret_key_is_private_to_the_writer) {
  test::temp_dir tmp;
  keypair kp = crypto::generate_keypair();
  {
    auto d = feed_dir::create(tmp / "w", kp);
    REQUIRE_OK(d);
    BOOST_TEST((*d)->feed().writable());
  }
  BOOST_TEST(mode_of(tmp / "w") == 0700u);
  BOOST_TEST(mode_of(feed_dir::secret_key_path(tmp / "w")) == 0600u);
  {
    auto r = feed_dir::create_reader(tmp / "r", kp.pk);
    REQUIRE_OK(r);
    BOOST_TEST(!(*r)->feed().writable());
  }
  BOOST_TEST(!fs::exists(feed_dir::secret_key_path(tmp / "r")));
  auto reopened = feed_dir::open(tmp / "w");
  REQUIRE_OK(reopened);
  BOOST_TEST((*reopened)->feed().writable());
  reopened->reset();

  ::chmod(feed_dir::secret_key_path(tmp / "w").c_str(), 0644);
  auto exposed = feed_dir::open(tmp / "w");
  BOOST_REQUIRE(!exposed);
  BOOST_TEST(exposed.error().context().find("readable by other users") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_reader_resumes_in_a_store_whose_creation_was_cut_short) {
  test::temp_dir tmp;
  keypair kp = crypto::generate_keypair();
  // What a clone killed between opening its database and writing its feed leaves behind.
  REQUIRE_OK(store_dir::create(tmp / "cut", nullptr, {}));
  BOOST_TEST(feed_dir::open(tmp / "cut").error().is(store_errc::not_found));
  BOOST_TEST(feed_dir::create_reader(tmp / "cut", kp.pk).error().is(store_errc::already_exists));
  {
    auto r = feed_dir::open_reader(tmp / "cut", kp.pk);
    REQUIRE_OK(r);
    BOOST_TEST((*r)->feed().key() == kp.pk);
    BOOST_TEST((*r)->feed().length() == 0u);
  }
  REQUIRE_OK(feed_dir::open(tmp / "cut"));
  // A new place, the same feed again, and another key's feed.
  REQUIRE_OK(feed_dir::open_reader(tmp / "new", kp.pk));
  REQUIRE_OK(feed_dir::open_reader(tmp / "new", kp.pk));
  auto other = feed_dir::open_reader(tmp / "new", crypto::generate_keypair().pk);
  BOOST_REQUIRE(!other);
  BOOST_TEST(other.error().is(store_errc::already_exists));
  // A writer's store is never turned into a reader's.
  REQUIRE_OK(feed_dir::create(tmp / "w", kp));
  BOOST_TEST(!feed_dir::open_reader(tmp / "w", crypto::generate_keypair().pk));
}

BOOST_AUTO_TEST_CASE(a_reader_resumes_where_making_the_database_itself_was_cut_short) {
  test::temp_dir tmp;
  keypair kp = crypto::generate_keypair();
  REQUIRE_OK(store_dir::create(tmp / "cut", nullptr, {}));
  cut_before_current(tmp / "cut/db");
  BOOST_REQUIRE(!fs::exists(tmp / "cut/db/CURRENT"));
  // A reading command says the directory holds nothing, and writes nothing.
  rocks_options reading;
  reading.read_only = true;
  std::set<std::string> before = names_in(tmp / "cut/db");
  auto read = feed_dir::open(tmp / "cut", reading);
  BOOST_REQUIRE(!read);
  BOOST_TEST(read.error().is(store_errc::not_found));
  BOOST_TEST(read.error().context().find("cut short") != std::string::npos);
  BOOST_TEST(names_in(tmp / "cut/db") == before);
  // A clone resumes in it.
  {
    auto r = feed_dir::open_reader(tmp / "cut", kp.pk);
    REQUIRE_OK(r);
    BOOST_TEST((*r)->feed().key() == kp.pk);
    BOOST_TEST((*r)->feed().length() == 0u);
  }
  REQUIRE_OK(feed_dir::open(tmp / "cut", reading));

  // A database that held blocks and lost its CURRENT afterwards is not taken for one: it stays
  // an error, and none of its files is touched.
  {
    auto w = feed_dir::create(tmp / "held", kp);
    REQUIRE_OK(w);
    std::string text = "a block that must not be lost";
    bytes block(text.begin(), text.end());
    REQUIRE_OK((*w)->feed().append({byte_span{block.data(), block.size()}}));
  }
  fs::remove(tmp / "held/db/CURRENT");
  std::set<std::string> held = names_in(tmp / "held/db");
  BOOST_TEST(!feed_dir::open(tmp / "held"));
  BOOST_TEST(!feed_dir::open_reader(tmp / "held", kp.pk));
  BOOST_TEST(names_in(tmp / "held/db") == held);
}

BOOST_AUTO_TEST_CASE(create_refuses_occupied_places_and_leaves_them_alone) {
  test::temp_dir tmp;
  fs::create_directory(tmp / "busy");
  std::ofstream(tmp / "busy/file") << "keep me";
  auto d = feed_dir::create(tmp / "busy", crypto::generate_keypair());
  BOOST_REQUIRE(!d);
  BOOST_TEST(d.error().is(store_errc::already_exists));
  BOOST_TEST(std::distance(fs::directory_iterator(tmp / "busy"), fs::directory_iterator{}) == 1);

  std::ofstream(tmp / "plain") << "x";
  BOOST_TEST(!feed_dir::create(tmp / "plain", crypto::generate_keypair()));
  BOOST_TEST(feed_dir::open(tmp / "missing").error().is(store_errc::not_found));
  BOOST_TEST(feed_dir::open(tmp / "busy").error().is(store_errc::not_found));
}

BOOST_AUTO_TEST_CASE(damaged_files_give_errors_never_wrong_data) {
  test::temp_dir tmp;
  std::string origin = tmp / "origin";
  std::vector<bytes> data = blocks_for_dir();
  {
    auto d = feed_dir::create(origin, crypto::generate_keypair());
    REQUIRE_OK(d);
    for (size_t i = 0; i < data.size(); i += 30)
      REQUIRE_OK((*d)->feed().append(
        std::vector<byte_span>(data.begin() + static_cast<long>(i),
                               data.begin() + static_cast<long>(i + 30))));
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(feed_dir::db_path(origin)))
    files.push_back(entry.path().filename().string());

  int detected = 0;
  int damaged = 0;
  for (const std::string& name : files) {
    if (name == "LOCK" || name.rfind("LOG", 0) == 0)
      continue;
    uint64_t size = fs::file_size(feed_dir::db_path(origin) + "/" + name);
    for (int variant = 0; variant < 4; ++variant) {
      std::string copy = tmp / ("copy-" + name + "-" + std::to_string(variant));
      fs::copy(origin, copy, fs::copy_options::recursive);
      std::string path = feed_dir::db_path(copy) + "/" + name;
      if (variant == 3) {
        fs::resize_file(path, size / 2);
      } else {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<long>(size * static_cast<uint64_t>(variant + 1) / 4));
        char c = 0;
        f.read(&c, 1);
        f.seekp(static_cast<long>(size * static_cast<uint64_t>(variant + 1) / 4));
        c = static_cast<char>(c ^ 0x5a);
        f.write(&c, 1);
      }
      ++damaged;
      BOOST_TEST_CONTEXT(name << " variant " << variant) {
        auto opened = feed_dir::open(copy);
        if (!opened) {
          ++detected;
          continue;
        }
        feed& f = (*opened)->feed();
        if (!f.verify_all()) {
          ++detected;
          continue;
        }
        // Whatever opens and verifies holds exactly the original blocks.
        BOOST_TEST(f.length() <= data.size());
        for (uint64_t i = 0; i < f.length(); ++i)
          BOOST_REQUIRE(f.get(i).value() == data[i]);
      }
    }
  }
  BOOST_TEST(damaged > 0);
  BOOST_TEST(detected > 0);
  BOOST_TEST_MESSAGE(detected << " of " << damaged << " damaged stores refused");
}

BOOST_AUTO_TEST_SUITE_END()
