#define BOOST_TEST_MODULE dht
#include <boost/test/unit_test.hpp>
