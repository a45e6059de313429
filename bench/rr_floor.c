/*
 * rr_floor: the floor reference for request/response over persistent connections on loopback.
 * A minimal C epoll client, one thread, no framework: what `connperf rr --request raw` is
 * measured against in the same run ("how close to the bare syscalls do we get?").
 *
 *   rr_floor HOST PORT CONNS SECONDS
 *       Opens CONNS connections (blocking connect, then nonblocking), sends "Get." on each and,
 *       in one epoll loop, answers every non-empty reply with the next "Get." (one request in
 *       flight per connection, like neper tcp_rr). Counts replies for SECONDS after the last
 *       connection is open and prints "requests N rps X seconds S errors N" on stdout.
 *
 * Build: cc -O2 -o rr_floor rr_floor.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256
static const char REQUEST[] = "Get.";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: rr_floor HOST PORT CONNS SECONDS\n");
    return 2;
  }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) die("inet_pton");
  const int conns = atoi(argv[3]);
  const double seconds = atof(argv[4]);
  if (conns < 1 || seconds <= 0) {
    fprintf(stderr, "rr_floor: CONNS and SECONDS must be positive\n");
    return 2;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  int* fds = calloc((size_t)conns, sizeof *fds);
  if (!fds) die("calloc");
  for (int i = 0; i < conns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr*)&a, sizeof a) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    fds[i] = fd;
  }
  /* Every connection is open: the clock starts with the first requests. */
  const double t0 = now_s(), end = t0 + seconds;
  unsigned long requests = 0, errors = 0;
  for (int i = 0; i < conns; i++)
    if (send(fds[i], REQUEST, sizeof REQUEST - 1, MSG_NOSIGNAL) < 0) errors++;
  struct epoll_event evs[MAX_EVENTS];
  char buf[4096];
  double t = t0;
  while (t < end) {
    int n = epoll_wait(ep, evs, MAX_EVENTS, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r > 0) {
        requests++;
        if (send(fd, REQUEST, sizeof REQUEST - 1, MSG_NOSIGNAL) < 0) errors++;
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        errors++;
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
      }
    }
    t = now_s();
  }
  printf("requests %lu rps %.1f seconds %.3f errors %lu\n", requests, requests / (t - t0), t - t0,
         errors);
  return 0;
}
