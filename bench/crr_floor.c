/*
 * crr_floor: the floor reference for connect-request-response-close on loopback.
 * A minimal C epoll client and server in one binary, no framework; what connperf is measured
 * against ("how close to the bare syscalls do we get?").
 *
 *   crr_floor server PORT THREADS
 *       127.0.0.1:PORT (0 = pick one), one SO_REUSEPORT listener + epoll loop per thread.
 *       accept4 nonblocking; each readable chunk is answered with "200 Ok."; EOF = fin,
 *       ECONNRESET = rst. Prints "listening on 127.0.0.1:PORT" on stderr; on SIGINT/SIGTERM
 *       prints "accepted N requests N rst N fin N errors N" on stdout and exits 0.
 *
 *   crr_floor client HOST PORT THREADS INFLIGHT SECONDS
 *       Per thread an epoll loop keeping its share of INFLIGHT nonblocking connects in flight:
 *       connect, on writable send "Get.", on a non-empty reply SO_LINGER {1,0} and close
 *       (an RST: no TIME_WAIT), then start another. Prints
 *       "completed N cps X started N errors N aborted N seconds S" on stdout.
 *
 * Build: cc -O2 -pthread -o crr_floor crr_floor.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256
static const char REPLY[] = "200 Ok.";
static const char REQUEST[] = "Get.";

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

/* ------------------------------------------------------------------ server */

struct server_thread {
  pthread_t tid;
  int lfd;
  unsigned long accepted, requests, rst, fin, errors;
};

static int make_listener(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) die("SO_REUSEPORT");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr*)&a, sizeof a) < 0) die("bind");
  if (listen(fd, 4096) < 0) die("listen");
  return fd;
}

static void* server_main(void* arg) {
  struct server_thread* t = arg;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = t->lfd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, t->lfd, &ev) < 0) die("epoll_ctl listener");
  struct epoll_event evs[MAX_EVENTS];
  char buf[1024];
  while (!g_stop) {
    int n = epoll_wait(ep, evs, MAX_EVENTS, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == t->lfd) {
        for (;;) {
          int c = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == EINTR || errno == ECONNABORTED) continue;
            t->errors++; /* EMFILE etc.: retry on the next readiness */
            break;
          }
          t->accepted++;
          struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0) {
            t->errors++;
            close(c);
          }
        }
        continue;
      }
      /* A connection: read until EAGAIN, answering every chunk. */
      for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0) {
          t->requests++;
          if (write(fd, REPLY, sizeof REPLY - 1) < 0 && errno != EAGAIN) {
            /* Peer already gone: the next read reports how. */
          }
          continue;
        }
        if (r == 0) {
          t->fin++;
          close(fd);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
          /* nothing more for now */
        } else if (errno == EINTR) {
          continue;
        } else {
          if (errno == ECONNRESET) t->rst++;
          else t->errors++;
          close(fd);
        }
        break;
      }
    }
  }
  close(ep);
  return NULL;
}

static int run_server(int port, int threads) {
  struct server_thread* ts = calloc(threads, sizeof *ts);
  if (!ts) die("calloc");
  ts[0].lfd = make_listener(port);
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  if (getsockname(ts[0].lfd, (struct sockaddr*)&a, &al) < 0) die("getsockname");
  port = ntohs(a.sin_port);
  for (int i = 1; i < threads; i++) ts[i].lfd = make_listener(port);

  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  for (int i = 0; i < threads; i++)
    if (pthread_create(&ts[i].tid, NULL, server_main, &ts[i]) != 0) die("pthread_create");
  fprintf(stderr, "listening on 127.0.0.1:%d\n", port);
  fflush(stderr);

  unsigned long acc = 0, req = 0, rst = 0, fin = 0, err = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(ts[i].tid, NULL);
    acc += ts[i].accepted, req += ts[i].requests, rst += ts[i].rst, fin += ts[i].fin;
    err += ts[i].errors;
  }
  printf("accepted %lu requests %lu rst %lu fin %lu errors %lu\n", acc, req, rst, fin, err);
  return 0;
}

/* ------------------------------------------------------------------ client */

enum { ST_CONNECTING = 1, ST_WAITING = 2 };
#define PACK(fd, st) (((uint64_t)(st) << 32) | (uint32_t)(fd))

struct client_thread {
  pthread_t tid;
  struct sockaddr_in dst;
  int inflight;
  double deadline;
  unsigned long started, completed, errors, aborted;
  int active; /* connections open now */
};

/* Starts one connection; returns 0 when it is in flight, -1 when it failed at once. */
static int start_one(struct client_thread* t, int ep) {
  t->started++;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    t->errors++;
    return -1;
  }
  int st = ST_CONNECTING;
  uint32_t events = EPOLLOUT;
  if (connect(fd, (struct sockaddr*)&t->dst, sizeof t->dst) == 0) {
    /* Loopback may complete at once: send right away. */
    if (write(fd, REQUEST, sizeof REQUEST - 1) != (ssize_t)(sizeof REQUEST - 1)) goto fail;
    st = ST_WAITING;
    events = EPOLLIN;
  } else if (errno != EINPROGRESS) {
    goto fail;
  }
  struct epoll_event ev = {.events = events, .data.u64 = PACK(fd, st)};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) goto fail;
  t->active++;
  return 0;
fail:
  t->errors++;
  close(fd);
  return -1;
}

static void finish(struct client_thread* t, int fd, int ok) {
  if (ok) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    t->completed++;
  } else {
    t->errors++;
  }
  close(fd); /* also removes it from the epoll set */
  t->active--;
}

static void* client_main(void* arg) {
  struct client_thread* t = arg;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event evs[MAX_EVENTS];
  char buf[1024];
  int pending = t->inflight; /* connections to (re)start */
  while (now_s() < t->deadline) {
    /* Start what is missing; immediate failures wait for the next round (no hot spin). */
    int failed = 0;
    while (pending > 0) {
      pending--;
      if (start_one(t, ep) < 0) failed++;
    }
    pending = failed;
    int n = epoll_wait(ep, evs, MAX_EVENTS, failed ? 10 : 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = (int)(uint32_t)evs[i].data.u64;
      int st = (int)(evs[i].data.u64 >> 32);
      if (st == ST_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0 ||
            (evs[i].events & (EPOLLERR | EPOLLHUP))) {
          finish(t, fd, 0);
          pending++;
          continue;
        }
        if (write(fd, REQUEST, sizeof REQUEST - 1) != (ssize_t)(sizeof REQUEST - 1)) {
          finish(t, fd, 0);
          pending++;
          continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = PACK(fd, ST_WAITING)};
        if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) {
          finish(t, fd, 0);
          pending++;
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) {
        finish(t, fd, 1);
        pending++;
      } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        finish(t, fd, 0); /* closed early, reset, ... */
        pending++;
      }
    }
  }
  t->aborted = t->active; /* in flight when time ran out; closed at exit */
  close(ep);
  return NULL;
}

static int run_client(const char* host, int port, int threads, int inflight, double seconds) {
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, host, &dst.sin_addr) != 1) {
    fprintf(stderr, "crr_floor: bad IPv4 address %s\n", host);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  struct client_thread* ts = calloc(threads, sizeof *ts);
  if (!ts) die("calloc");
  double start = now_s();
  for (int i = 0; i < threads; i++) {
    ts[i].dst = dst;
    ts[i].inflight = inflight / threads + (i < inflight % threads ? 1 : 0);
    ts[i].deadline = start + seconds;
    if (pthread_create(&ts[i].tid, NULL, client_main, &ts[i]) != 0) die("pthread_create");
  }
  unsigned long started = 0, completed = 0, errors = 0, aborted = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(ts[i].tid, NULL);
    started += ts[i].started, completed += ts[i].completed;
    errors += ts[i].errors, aborted += ts[i].aborted;
  }
  double elapsed = now_s() - start;
  printf("completed %lu cps %.1f started %lu errors %lu aborted %lu seconds %.3f\n", completed,
         elapsed > 0 ? completed / elapsed : 0.0, started, errors, aborted, elapsed);
  return 0;
}

static int arg_int(const char* s, int lo, int hi, const char* what) {
  char* end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "crr_floor: bad %s: %s\n", what, s);
    exit(2);
  }
  return (int)v;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "server") == 0)
    return run_server(arg_int(argv[2], 0, 65535, "port"), arg_int(argv[3], 1, 1024, "threads"));
  if (argc == 7 && strcmp(argv[1], "client") == 0) {
    int threads = arg_int(argv[4], 1, 1024, "threads");
    int inflight = arg_int(argv[5], 1, 1000000, "inflight");
    char* end;
    double secs = strtod(argv[6], &end);
    if (*end != '\0' || !(secs > 0)) {
      fprintf(stderr, "crr_floor: bad seconds: %s\n", argv[6]);
      return 2;
    }
    if (inflight < threads) threads = inflight;
    return run_client(argv[2], arg_int(argv[3], 1, 65535, "port"), threads, inflight, secs);
  }
  fprintf(stderr,
          "usage: crr_floor server PORT THREADS\n"
          "       crr_floor client HOST PORT THREADS INFLIGHT SECONDS\n");
  return 2;
}
