// async.hpp — the vocabulary the servers' Asio code shares: coroutines (Task<T>), the completion
// token that returns an error_code instead of throwing, and the clock deadlines are set on.
#pragma once

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <chrono>

namespace ksmg::frontend {

using Clock = std::chrono::steady_clock;
template <typename T>
using Task = asio::awaitable<T>;
// Completion token for coroutines that look at the error_code instead of catching exceptions.
inline constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace ksmg::frontend
