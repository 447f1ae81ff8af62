#include "dynfeed/base/stop_signals.hpp"

#include <boost/test/unit_test.hpp>

#include <pthread.h>
#include <unistd.h>

using namespace dynfeed;

namespace {

bool blocked(int sig) {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, sig) == 1;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_signal_to_the_process_reaches_the_waiter_and_kills_nobody) {
  BOOST_REQUIRE(!blocked(SIGTERM));
  {
    stop_signals signals;
    BOOST_TEST(blocked(SIGINT));
    BOOST_TEST(blocked(SIGTERM));
    BOOST_TEST(!signals.requested());
    BOOST_TEST(signals.signal() == 0);
    // Sent to the whole process, as `kill` does: blocked here, so the collector takes it.
    BOOST_REQUIRE(::kill(::getpid(), SIGINT) == 0);
    signals.wait();
    BOOST_TEST(signals.requested());
    BOOST_TEST(signals.signal() == SIGINT);
  }
  BOOST_TEST(!blocked(SIGTERM)); // the mask is the caller's again
}

BOOST_AUTO_TEST_CASE(without_a_signal_it_comes_down_and_leaves_none_pending) {
  {
    stop_signals signals;
    BOOST_TEST(!signals.requested());
  }
  sigset_t pending;
  sigpending(&pending);
  BOOST_TEST(sigismember(&pending, SIGTERM) == 0);
  BOOST_TEST(!blocked(SIGINT));
}
