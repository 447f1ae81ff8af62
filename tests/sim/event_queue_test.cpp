// The calendar queue hands entries out in the order of a priority queue with the same
// comparison, whatever mix of delays it is given.

#include "dynfeed/base/random.hpp"
#include "dynfeed/sim/event_queue.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <queue>
#include <set>

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace std::chrono_literals;

namespace {

struct entry {
  clock_time at;
  uint64_t seq;
};

struct later {
  bool operator()(const entry& a, const entry& b) const noexcept {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }
};

using calendar = event_queue<entry, later>;

/// A delay from a mix: the same instant, within a bucket, within the calendar's minute,
/// beyond it, and now and then far beyond (an idle stretch).
clock_time delay(rng& random) {
  switch (random.below(6)) {
    case 0:
      return clock_time{0};
    case 1:
      return clock_time{static_cast<int64_t>(random.below(1'000'000))}; // under 1 ms
    case 2:
    case 3:
      return clock_time{static_cast<int64_t>(random.below(200'000'000))}; // up to 200 ms
    case 4:
      return clock_time{static_cast<int64_t>(random.below(150'000'000'000))}; // up to 150 s
    default:
      return random.below(50) == 0 ? clock_time{3600s} : clock_time{10s};
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(event_queue_order)

BOOST_AUTO_TEST_CASE(entries_come_out_as_from_a_priority_queue) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    rng random(seed);
    calendar queue;
    std::priority_queue<entry, std::vector<entry>, later> reference;
    clock_time now{0};
    uint64_t seq = 0;
    auto push = [&](clock_time at) {
      entry e{at, seq++};
      queue.push(e);
      reference.push(e);
    };
    for (int i = 0; i < 100; ++i)
      push(now + delay(random));
    size_t taken = 0;
    while (!reference.empty()) {
      BOOST_REQUIRE(!queue.empty());
      BOOST_REQUIRE_EQUAL(queue.size(), reference.size());
      entry want = reference.top();
      entry got = queue.top();
      BOOST_REQUIRE_EQUAL(got.seq, want.seq);
      BOOST_REQUIRE_EQUAL(got.at.count(), want.at.count());
      queue.pop();
      reference.pop();
      now = got.at;
      ++taken;
      // Each entry taken schedules a few more, as handlers do, until there are enough.
      if (seq < 20'000)
        for (uint64_t n = random.below(3); n > 0; --n)
          push(now + delay(random));
    }
    BOOST_TEST(queue.empty());
    BOOST_TEST(taken == seq);
  }
}

BOOST_AUTO_TEST_CASE(an_entry_for_a_passed_bucket_comes_first) {
  // A driver may look at the next entry (moving the calendar up to it), then run to an
  // earlier time and schedule there: that entry is due before the one it looked at.
  calendar queue;
  queue.push(entry{clock_time{90s}, 1});
  BOOST_TEST(queue.top().seq == 1u);
  queue.push(entry{clock_time{5s}, 2});
  queue.push(entry{clock_time{5s}, 3});
  std::vector<uint64_t> order;
  while (!queue.empty()) {
    order.push_back(queue.top().seq);
    queue.pop();
  }
  BOOST_TEST(order == (std::vector<uint64_t>{2, 3, 1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(erased_entries_never_come_out_and_the_rest_keep_their_order) {
  // Against an ordered set: pushes, pops and erases at random, with handles of entries that
  // are still waiting, already out, or whose node holds another entry by now.
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    rng random(seed);
    calendar queue;
    auto before = [](const entry& a, const entry& b) { return later{}(b, a); };
    std::set<entry, decltype(before)> reference(before);
    std::map<uint64_t, std::pair<calendar::handle, entry>> pushed; // by seq
    clock_time now{0};
    uint64_t seq = 0;
    size_t erased = 0;
    for (int op = 0; op < 30'000; ++op) {
      uint64_t pick = random.below(10);
      if (pick < 5 || reference.empty()) {
        entry e{now + delay(random), seq++};
        calendar::handle h = queue.push(e);
        // Within the minute and past the current bucket, an entry always gets a handle.
        if (e.at - now > 2ms && e.at - now < 60s)
          BOOST_REQUIRE(h != calendar::no_handle);
        reference.insert(e);
        pushed[e.seq] = {h, e};
      } else if (pick < 8) {
        entry want = *reference.begin();
        entry got = queue.top();
        BOOST_REQUIRE_EQUAL(got.seq, want.seq);
        BOOST_REQUIRE_EQUAL(got.at.count(), want.at.count());
        queue.pop();
        reference.erase(reference.begin());
        now = got.at;
      } else {
        // Any entry ever pushed: erase removes it only if it is still waiting in the queue.
        auto it = pushed.lower_bound(random.below(seq));
        auto [h, e] = it->second;
        bool waiting = reference.count(e) > 0;
        bool removed = queue.erase(h, [&](const entry& x) { return x.seq == e.seq; });
        BOOST_REQUIRE(!removed || waiting);
        if (removed) {
          reference.erase(e);
          ++erased;
        }
        BOOST_REQUIRE(!queue.erase(h, [&](const entry& x) { return x.seq == e.seq; }) || !removed);
      }
      BOOST_REQUIRE_EQUAL(queue.size(), reference.size());
    }
    while (!reference.empty()) {
      BOOST_REQUIRE_EQUAL(queue.top().seq, reference.begin()->seq);
      queue.pop();
      reference.erase(reference.begin());
    }
    BOOST_TEST(queue.empty());
    BOOST_TEST(erased > 100u); // the erasing path was taken, not only refused
  }
}

BOOST_AUTO_TEST_CASE(the_pool_holds_the_most_entries_waiting_at_once) {
  // A thousand entries at a time, each over its own bucket, a hundred times over: the nodes
  // freed by each bucket are reused, and sparse buckets take no room of their own.
  calendar queue;
  uint64_t seq = 0;
  clock_time now{0};
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 1000; ++i)
      queue.push(entry{now + 1ms * (2 + i * 50), seq++});
    while (!queue.empty()) {
      now = queue.top().at;
      queue.pop();
    }
  }
  BOOST_TEST(queue.node_capacity() <= 1000u + 4096u); // a chunk of slack at most
}

BOOST_AUTO_TEST_SUITE_END()
