// Tests of net::Connection over a real loopback TCP connection: an io_context runs on a thread of
// the test, the server end is a Connection driving a small test Handler, and the client end is a
// blocking socket in the test. Waits are on conditions with a deadline, never on a fixed sleep.
#include "net/connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace stash::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Socket buffers small enough that a few hundred KB of output cannot all sit in the kernel, so a
// client that does not read keeps the connection's output pending.
constexpr int kSmallSocketBuffer = 32 << 10;
constexpr auto kTimeout = 5s;  // a deadline for conditions that hold within milliseconds

// Polls cond until it holds or timeout passes; returns its last value.
template <typename Cond>
bool WaitFor(Cond cond, std::chrono::milliseconds timeout = kTimeout) {
  auto deadline = Clock::now() + timeout;
  while (!cond()) {
    if (Clock::now() >= deadline) return cond();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// n bytes of a pattern that makes a lost, duplicated or reordered byte visible.
std::string Pattern(size_t n, char salt = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>('a' + (i * 7 + salt + i / 251) % 26);
  return s;
}

// What the handler saw, kept by the test (the handler dies with its connection).
struct Probe {
  mutable std::mutex mu;
  std::string input;  // every byte OnInput got, in order
  std::atomic<int> inputs{0};
  std::atomic<int> drained{0};
  std::atomic<int> closes{0};

  std::string Input() const {
    std::lock_guard<std::mutex> lock(mu);
    return input;
  }
};

// Echoes its input unless a hook says otherwise.
class TestHandler final : public Handler {
 public:
  using InputHook = std::function<void(Connection&, std::string_view)>;
  using DrainHook = std::function<void(Connection&)>;

  TestHandler(Connection& conn, Probe& probe, InputHook on_input, DrainHook on_drained)
      : conn_(conn),
        probe_(probe),
        on_input_(std::move(on_input)),
        on_drained_(std::move(on_drained)) {}

  void OnInput(const char* data, size_t n) override {
    {
      std::lock_guard<std::mutex> lock(probe_.mu);
      probe_.input.append(data, n);
    }
    std::string_view in(data, n);
    if (on_input_) {
      on_input_(conn_, in);
    } else {
      conn_.output().append(in);
    }
    probe_.inputs++;
  }
  void OnOutputDrained() override {
    probe_.drained++;
    if (on_drained_) on_drained_(conn_);
  }
  void OnClose() override { probe_.closes++; }

 private:
  Connection& conn_;
  Probe& probe_;
  InputHook on_input_;
  DrainHook on_drained_;
};

// An input hook that echoes its input, each 'B' replaced by big (a large reply). big must outlive
// the connection.
TestHandler::InputHook EchoExpandingB(const std::string& big) {
  return [&big](Connection& conn, std::string_view in) {
    for (char c : in) {
      if (c == 'B') {
        conn.output() += big;
      } else {
        conn.output() += c;
      }
    }
  };
}

// The client end: a blocking socket with reads bounded by a deadline.
class TestClient {
 public:
  TestClient(uint16_t port, bool small_buffer) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd_, 0) << std::strerror(errno);
    if (small_buffer) {  // before connect, so the window is small from the start
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &kSmallSocketBuffer, sizeof(kSmallSocketBuffer));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    EXPECT_EQ(rc, 0) << std::strerror(errno);
  }
  ~TestClient() { Close(); }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  void Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << std::strerror(errno);
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads until n bytes arrived, the peer closed, or the deadline passed; chunk bounds each
  // read (a small chunk makes a slow reader).
  std::string Read(size_t n, size_t chunk = 64 << 10, std::chrono::microseconds pause = 0us) {
    std::string got;
    std::vector<char> buf(chunk);
    auto deadline = Clock::now() + kTimeout;
    while (got.size() < n) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, left) <= 0) break;
      ssize_t r = ::recv(fd_, buf.data(), std::min(chunk, n - got.size()), 0);
      if (r <= 0) break;
      got.append(buf.data(), static_cast<size_t>(r));
      if (pause > 0us) std::this_thread::sleep_for(pause);
    }
    return got;
  }

  // Reads until the peer's FIN. *eof: the stream ended with a FIN (not a reset, not the deadline).
  std::string ReadToEnd(bool* eof) {
    std::string got;
    char buf[64 << 10];
    *eof = false;
    auto deadline = Clock::now() + kTimeout;
    while (true) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, left) <= 0) return got;
      ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
      if (r < 0) return got;  // ECONNRESET: the reply may have been cut
      if (r == 0) {
        *eof = true;
        return got;
      }
      got.append(buf, static_cast<size_t>(r));
    }
  }

 private:
  int fd_ = -1;
};

// Bytes the kernel holds for the connection's socket that it has not read.
int Unread(int fd) {
  int n = 0;
  if (::ioctl(fd, FIONREAD, &n) != 0) return -1;
  return n;
}

class ConnectionTest : public testing::Test {
 protected:
  ConnectionTest()
      : work_(asio::make_work_guard(io_)),
        acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    io_thread_ = std::thread([this] { io_.run(); });
  }

  ~ConnectionTest() override {
    if (conn_ != nullptr) {
      conn_->Kill("test over");
      WaitFor([&] { return probe_.closes > 0; });
    }
    client_.reset();
    work_.reset();
    io_.stop();
    io_thread_.join();
  }

  // Connects a client and starts a connection on the accepted socket. small_buffers: small
  // kernel buffers at both ends (see kSmallSocketBuffer).
  void Open(TestHandler::InputHook on_input = nullptr, TestHandler::DrainHook on_drained = nullptr,
            bool small_buffers = false) {
    client_ = std::make_unique<TestClient>(acceptor_.local_endpoint().port(), small_buffers);
    asio::ip::tcp::socket socket(io_);
    acceptor_.accept(socket);
    if (small_buffers) socket.set_option(asio::socket_base::send_buffer_size(kSmallSocketBuffer));
    Counters counters{&input_bytes_, &output_bytes_, &limit_disconnections_};
    conn_ = std::make_shared<Connection>(
        std::move(socket), 1,
        [this](bool) {
          std::lock_guard<std::mutex> lock(limit_mu_);
          return limit_;
        },
        counters);
    conn_->SetHandler(
        std::make_unique<TestHandler>(*conn_, probe_, std::move(on_input), std::move(on_drained)));
    conn_->Start();
  }

  void SetLimit(OutputLimit limit) {
    std::lock_guard<std::mutex> lock(limit_mu_);
    limit_ = limit;
  }

  // Runs fn on the I/O thread and waits for it: also a barrier for what was posted before.
  template <typename Fn>
  auto OnIoThread(Fn fn) {
    auto task = std::make_shared<std::packaged_task<decltype(fn())()>>(std::move(fn));
    auto result = task->get_future();
    asio::post(io_, [task] { (*task)(); });
    return result.get();
  }
  bool Closed() {
    return OnIoThread([this] { return conn_->closed(); });
  }

  // True if n bytes reach the connection's socket and stay unread. Staying is a negative, so
  // it is watched for kUnreadWindow: a connection that reads takes such bytes within
  // microseconds of their arrival.
  bool StaysUnread(int n) {
    if (!WaitFor([&] { return Unread(conn_->fd()) == n; })) return false;
    return !WaitFor([&] { return Unread(conn_->fd()) != n; }, kUnreadWindow);
  }
  static constexpr auto kUnreadWindow = 100ms;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread io_thread_;
  std::mutex limit_mu_;
  OutputLimit limit_;
  std::atomic<uint64_t> input_bytes_{0}, output_bytes_{0}, limit_disconnections_{0};
  Probe probe_;
  std::shared_ptr<Connection> conn_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(ConnectionTest, EchoedBytesReachTheClientInOrder) {
  Open();
  std::string sent;
  for (int i = 0; i < 200; i++) {
    std::string chunk = std::to_string(i) + ":" + Pattern(i % 50, static_cast<char>(i)) + ";";
    client_->Send(chunk);
    sent += chunk;
  }
  EXPECT_EQ(client_->Read(sent.size()), sent);
  EXPECT_EQ(probe_.Input(), sent);
}

TEST_F(ConnectionTest, LargeReplyReachesASlowReaderWhole) {
  const std::string big = Pattern(8 << 20);
  Open(EchoExpandingB(big), nullptr, /*small_buffers=*/true);
  client_->Send("<B>");
  std::string got = client_->Read(big.size() + 2, 16 << 10, 50us);
  ASSERT_EQ(got.size(), big.size() + 2);
  EXPECT_EQ(got.front(), '<');
  EXPECT_EQ(got.back(), '>');
  EXPECT_TRUE(std::string_view(got).substr(1, big.size()) == big);
  EXPECT_TRUE(WaitFor([&] { return output_bytes_ == big.size() + 2; })) << output_bytes_;
  EXPECT_EQ(conn_->OutputBytes(), 0u);
}

// A reply of 2 * kPauseReadingBytes to "B": input sent meanwhile stays in the kernel until the
// client has taken the reply, then the handler gets it (after OnOutputDrained).
TEST_F(ConnectionTest, ReadingPausesWhileMuchOutputIsPendingAndResumesWhenItDrains) {
  const std::string big = Pattern(2 * Connection::kPauseReadingBytes);
  Open(EchoExpandingB(big), nullptr, /*small_buffers=*/true);
  client_->Send("B");
  ASSERT_TRUE(WaitFor([&] { return probe_.inputs == 1; }));
  client_->Send("x");
  EXPECT_TRUE(StaysUnread(1));
  EXPECT_EQ(probe_.Input(), "B");
  EXPECT_EQ(probe_.drained, 0);

  std::string got = client_->Read(big.size() + 1);
  ASSERT_EQ(got.size(), big.size() + 1);
  EXPECT_TRUE(std::string_view(got).substr(0, big.size()) == big);
  EXPECT_EQ(got.back(), 'x');
  EXPECT_EQ(probe_.Input(), "Bx");
  EXPECT_GE(probe_.drained, 1);
}

// The same when the output comes from OnOutputDrained (where a handler runs input it held back
// for the slow client): with more than kPauseReadingBytes pending again, reading stays paused.
TEST_F(ConnectionTest, ReadingStaysPausedWhenOnOutputDrainedProducesMuchOutput) {
  const std::string big = Pattern(2 * Connection::kPauseReadingBytes);
  Open(
      EchoExpandingB(big),
      [&](Connection& conn) {
        if (probe_.drained == 1) conn.output() += big;
      },
      /*small_buffers=*/true);
  client_->Send("B");
  ASSERT_TRUE(WaitFor([&] { return probe_.inputs == 1; }));
  client_->Send("x");
  EXPECT_TRUE(StaysUnread(1));  // paused by the reply to "B"

  ASSERT_EQ(client_->Read(big.size()).size(), big.size());
  ASSERT_TRUE(WaitFor([&] { return probe_.drained == 1; }));
  EXPECT_TRUE(StaysUnread(1));  // paused by what OnOutputDrained added
  EXPECT_EQ(probe_.Input(), "B");

  std::string got = client_->Read(big.size() + 1);
  ASSERT_EQ(got.size(), big.size() + 1);
  EXPECT_EQ(got.back(), 'x');
  EXPECT_EQ(probe_.Input(), "Bx");
}

// Each "C" adds 512 KB and checks the limits, as a session does after each command; the client
// reads nothing, so the third one is over the 1 MB hard limit.
TEST_F(ConnectionTest, HardOutputLimitClosesTheConnection) {
  SetLimit({.hard_bytes = 1 << 20});
  const std::string chunk = Pattern(512 << 10);
  std::vector<bool> checks;  // I/O thread only
  Open(
      [&](Connection& conn, std::string_view) {
        conn.output() += chunk;
        checks.push_back(conn.CheckOutputLimit());
      },
      nullptr, /*small_buffers=*/true);
  client_->Send("C");
  ASSERT_TRUE(WaitFor([&] { return probe_.inputs == 1; }));
  client_->Send("C");
  ASSERT_TRUE(WaitFor([&] { return probe_.inputs == 2; }));
  EXPECT_FALSE(Closed());
  EXPECT_EQ(limit_disconnections_, 0u);
  client_->Send("C");
  ASSERT_TRUE(WaitFor([&] { return probe_.closes == 1; }));
  EXPECT_EQ(limit_disconnections_, 1u);
  EXPECT_EQ(OnIoThread([&] { return checks; }), (std::vector<bool>{true, true, false}));
  EXPECT_TRUE(Closed());
  EXPECT_EQ(probe_.closes, 1);
}

// Above the soft limit the clock starts; the connection closes on the first check at least
// soft_seconds later (the server's cron calls CheckOutputLimitSoon).
TEST_F(ConnectionTest, SoftOutputLimitClosesOnlyAfterSoftSeconds) {
  SetLimit({.soft_bytes = 256 << 10, .soft_seconds = 1});
  const std::string chunk = Pattern(1 << 20);
  Open(
      [&](Connection& conn, std::string_view) {
        conn.output() += chunk;
        EXPECT_TRUE(conn.CheckOutputLimit());
      },
      nullptr, /*small_buffers=*/true);
  client_->Send("S");
  ASSERT_TRUE(WaitFor([&] { return probe_.inputs == 1; }));
  auto above_since = Clock::now();  // no earlier than the first check above the soft limit
  conn_->CheckOutputLimitSoon();
  EXPECT_FALSE(Closed());
  EXPECT_EQ(limit_disconnections_, 0u);

  auto closed = [&] {
    conn_->CheckOutputLimitSoon();
    return probe_.closes == 1;
  };
  ASSERT_TRUE(WaitFor(closed, 3s));
  EXPECT_GE(Clock::now() - above_since, 900ms);  // the wall clock's ms rounding aside
  EXPECT_EQ(limit_disconnections_, 1u);
}

// A client that took its output in time is not closed however long it was above the soft limit
// before: the clock restarts when the output falls below the limit.
TEST_F(ConnectionTest, SoftOutputLimitForgetsOutputThatDrained) {
  SetLimit({.soft_bytes = 256 << 10, .soft_seconds = 1});
  const std::string chunk = Pattern(1 << 20);
  Open(
      [&](Connection& conn, std::string_view) {
        conn.output() += chunk;
        EXPECT_TRUE(conn.CheckOutputLimit());
      },
      nullptr, /*small_buffers=*/true);
  client_->Send("S");
  ASSERT_TRUE(WaitFor([&] { return probe_.inputs == 1; }));
  auto first_above = Clock::now();
  ASSERT_EQ(client_->Read(chunk.size()).size(), chunk.size());
  ASSERT_TRUE(WaitFor([&] { return probe_.drained == 1; }));
  // Past soft_seconds since the output first went above the limit, but it was below meanwhile.
  std::this_thread::sleep_until(first_above + 1100ms);
  client_->Send("S");  // above the soft limit again: a new clock
  ASSERT_TRUE(WaitFor([&] { return probe_.inputs == 2; }));
  conn_->CheckOutputLimitSoon();
  EXPECT_FALSE(Closed());
  EXPECT_EQ(client_->Read(chunk.size()).size(), chunk.size());
}

// "Q" gets a 1 MB reply and CloseAfterReply; the client, still sending, gets the whole reply and
// then a FIN (no reset), and what it sent after "Q" never reaches the handler.
TEST_F(ConnectionTest, CloseAfterReplyDeliversTheLastReplyBeforeTheFin) {
  const std::string reply = Pattern(1 << 20) + "BYE";
  Open(
      [&](Connection& conn, std::string_view in) {
        if (in.find('Q') != std::string_view::npos) {
          conn.output() += reply;
          conn.CloseAfterReply();
          EXPECT_TRUE(conn.closing());
        }
      },
      nullptr, /*small_buffers=*/true);
  client_->Send("Q");
  ASSERT_TRUE(WaitFor([&] { return probe_.inputs == 1; }));
  client_->Send(Pattern(8 << 10));  // unread input would make the close a reset
  bool eof = false;
  std::string got = client_->ReadToEnd(&eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(got.size(), reply.size());
  EXPECT_TRUE(got == reply);
  EXPECT_EQ(probe_.closes, 0);  // it waits for the client to finish
  client_->ShutdownWrite();
  ASSERT_TRUE(WaitFor([&] { return probe_.closes == 1; }));
  EXPECT_EQ(probe_.Input(), "Q");
}

TEST_F(ConnectionTest, CloseGracefullySendsPendingOutputThenCloses) {
  const std::string reply = Pattern(512 << 10);
  Open([&](Connection& conn, std::string_view) { conn.output() += reply; }, nullptr,
       /*small_buffers=*/true);
  client_->Send("G");
  ASSERT_TRUE(WaitFor([&] { return probe_.inputs == 1; }));
  conn_->CloseGracefully();
  bool eof = false;
  std::string got = client_->ReadToEnd(&eof);
  EXPECT_TRUE(eof);
  EXPECT_TRUE(got == reply);
  ASSERT_TRUE(WaitFor([&] { return probe_.closes == 1; }));  // no drain at shutdown
}

TEST_F(ConnectionTest, KillFromOtherThreadsClosesOnceAndDropsLaterPosts) {
  Open();
  client_->Send("hi");
  ASSERT_EQ(client_->Read(2), "hi");
  std::vector<std::thread> killers;
  for (int i = 0; i < 4; i++) {
    killers.emplace_back([this] {
      conn_->Kill("test");
      conn_->CloseGracefully();
      conn_->Kill("again");
    });
  }
  for (auto& t : killers) t.join();
  ASSERT_TRUE(WaitFor([&] { return probe_.closes >= 1; }));
  bool eof = false;
  EXPECT_EQ(client_->ReadToEnd(&eof), "");
  EXPECT_TRUE(eof);

  std::atomic<bool> ran{false};
  conn_->Post([&] { ran = true; });
  conn_->Kill("after close");
  conn_->CheckOutputLimitSoon();
  OnIoThread([] { return 0; });  // everything posted above has run
  EXPECT_FALSE(ran);
  EXPECT_EQ(probe_.closes, 1);
  EXPECT_EQ(limit_disconnections_, 0u);
}

TEST_F(ConnectionTest, PostRunsOnTheConnectionThreadAndMayWrite) {
  Open();
  const std::thread::id io_thread = OnIoThread([] { return std::this_thread::get_id(); });
  std::atomic<bool> on_io_thread{false};
  conn_->Post([&] {
    on_io_thread = std::this_thread::get_id() == io_thread;
    conn_->output() += "posted";
    conn_->Flush();
  });
  EXPECT_EQ(client_->Read(6), "posted");
  EXPECT_TRUE(on_io_thread);
}

TEST_F(ConnectionTest, ByteCountersCountInputAndOutput) {
  Open([](Connection& conn, std::string_view in) {
    conn.output().append(in);
    conn.output().append(in);  // twice: output differs from input
  });
  client_->Send("hello");
  ASSERT_EQ(client_->Read(10), "hellohello");
  client_->Send(Pattern(100 << 10));
  ASSERT_EQ(client_->Read(200 << 10).size(), 200u << 10);
  const uint64_t in = 5 + (100 << 10);
  EXPECT_TRUE(WaitFor([&] { return input_bytes_ == in && output_bytes_ == 2 * in; }))
      << input_bytes_ << " " << output_bytes_;
  EXPECT_EQ(limit_disconnections_, 0u);
}

TEST_F(ConnectionTest, ClientCloseClosesTheConnectionOnce) {
  Open();
  client_->Send("x");
  ASSERT_EQ(client_->Read(1), "x");
  client_->Close();
  ASSERT_TRUE(WaitFor([&] { return probe_.closes == 1; }));
  EXPECT_TRUE(Closed());
  OnIoThread([] { return 0; });
  EXPECT_EQ(probe_.closes, 1);
}

}  // namespace
}  // namespace stash::net
