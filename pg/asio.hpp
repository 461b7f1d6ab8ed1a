#pragma once
// The one way to include Boost.Asio in slotd. Boost 1.74's Asio uses
// std::exchange without including <utility>; with g++ 12 in C++20 mode every
// Asio header fails to compile unless <utility> comes first.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
