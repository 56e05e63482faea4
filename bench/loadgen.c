/*
 * The "Asterisk side" of the engine benchmark: one UDP socket per participant, u-law tone packets every
 * 20 ms on a drift-free schedule (timerfd, absolute deadlines), and counts of what comes back.
 * Written in C so the generator costs a fraction of what the engine under test costs: on a 2-core
 * machine a Node generator competed with the engine for the same CPUs.
 *
 * Protocol on stdin/stdout, one JSON object per output line:
 *   argv[1] = participants            -> {"type":"ports","ports":[...]}
 *   argv[2] = room size (optional): participants i..i+size-1 share a room; each talker sends its own frequency
 *             (by its place in the room) and the sink checks, twice a second, that every listener hears each of
 *             its room's other talkers (a Goertzel filter per talker on the decoded frame): "missedTalkers".
 *   stdin "start SECONDS WARMUP aligned|spread" then PARTICIPANTS engine ports, one per participant
 *                                     -> {"type":"measuring"} after WARMUP seconds
 *                                     -> {"type":"done",...} after SECONDS more
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define FRAME 160
#define PACKET (12 + FRAME)
#define GROUPS_SPREAD 10
#define BATCH 16

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int ulaw_decode(uint8_t byte) {
  int u = ~byte & 0xff, t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return (u & 0x80) ? 0x84 - t : t - 0x84;
}

/* Amplitude of one frequency in a frame (Goertzel), in sample units. */
static double tone_amplitude(const int *samples, double frequency) {
  double w = 2 * M_PI * frequency / 8000, c = 2 * cos(w), s1 = 0, s2 = 0;
  for (int i = 0; i < FRAME; i++) {
    double s0 = samples[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return sqrt(s1 * s1 + s2 * s2 - c * s1 * s2) / (FRAME / 2.0);
}

static uint8_t ulaw_encode(int sample) {
  int sign = sample < 0 ? 0x80 : 0;
  if (sample < 0) sample = -sample;
  if (sample > 32635) sample = 32635;
  sample += 0x84;
  int exponent = 7;
  for (int mask = 0x4000; (sample & mask) == 0 && exponent > 0; mask >>= 1) exponent--;
  return (uint8_t)(~(sign | (exponent << 4) | ((sample >> (exponent + 3)) & 0x0f)) & 0xff);
}

static void arm(int tfd, double at_ms) {
  struct itimerspec its = {0};
  its.it_value.tv_sec = (time_t)(at_ms / 1e3);
  its.it_value.tv_nsec = (long)((at_ms - its.it_value.tv_sec * 1e3) * 1e6);
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 0;
  int room = argc > 2 ? atoi(argv[2]) : 0;
  if (room < 0 || room > 20) room = 0;
  if (n < 2) {
    fprintf(stderr, "usage: loadgen PARTICIPANTS (at least 2)\n");
    return 2;
  }
  int *fds = calloc(n, sizeof(int));
  uint16_t *seqs = calloc(n, sizeof(uint16_t));
  long *received = calloc(n, sizeof(long));
  int *first_seq = malloc(n * sizeof(int));
  int *last_seq = malloc(n * sizeof(int));
  double *last_arrival = calloc(n, sizeof(double));
  double *jitter = calloc(n, sizeof(double));
  int ep = epoll_create1(0);
  printf("{\"type\":\"ports\",\"ports\":[");
  for (int i = 0; i < n; i++) {
    first_seq[i] = last_seq[i] = -1;
    fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof a) != 0) {
      perror("socket");
      return 1;
    }
    socklen_t len = sizeof a;
    getsockname(fds[i], (struct sockaddr *)&a, &len);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    seqs[i] = (uint16_t)rand();
    printf("%s%d", i ? "," : "", ntohs(a.sin_port));
  }
  printf("]}\n");
  fflush(stdout);

  int seconds = 0, warmup_seconds = 0;
  char phase[16] = "spread";
  if (scanf("start %d %d %15s", &seconds, &warmup_seconds, phase) != 3) {
    fprintf(stderr, "expected: start SECONDS WARMUP PHASE, then one engine port per participant\n");
    return 2;
  }
  /* Each participant sends to its room's media thread: one port per participant. */
  struct sockaddr_in *engine = calloc(n, sizeof(struct sockaddr_in));
  for (int i = 0; i < n; i++) {
    int engine_port = 0;
    if (scanf("%d", &engine_port) != 1) {
      fprintf(stderr, "expected %d engine ports\n", n);
      return 2;
    }
    engine[i] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(engine_port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  }
  int groups = strcmp(phase, "aligned") == 0 ? 1 : GROUPS_SPREAD;

  /* Without rooms every talker sends 440 Hz. With rooms, place p sends 400 + step x p Hz, multiples of 50 Hz so each
     is a whole Goertzel bin of a 160-sample frame and a whole number of cycles a second (50 frames repeat). The
     amplitude keeps 8 talkers' sum under u-law's top segment, which participant 1 reads as participant 0's click. */
  int places = room > 0 ? room : 1;
  int step = room > 0 ? (2800 / room / 50) * 50 : 0;
  if (room > 0 && step < 50) step = 50;
  double amplitude = room > 0 ? 1000 : 6000;
  uint8_t (*tones)[50][FRAME] = malloc(sizeof(uint8_t[50][FRAME]) * (size_t)places);
  double *frequency = malloc(sizeof(double) * (size_t)places);
  for (int p = 0; p < places; p++) {
    frequency[p] = room > 0 ? 400 + step * p : 440;
    for (int f = 0, s = 0; f < 50; f++)
      for (int i = 0; i < FRAME; i++, s++) tones[p][f][i] = ulaw_encode((int)lround(amplitude * sin(2 * M_PI * frequency[p] * s / 8000.0)));
  }
  uint8_t quiet[FRAME], click[FRAME];
  /* Per listener and place in its room: the summed amplitude heard, over `checks` sampled frames. */
  double *heard = calloc((size_t)n * (size_t)places, sizeof(double));
  long *checks = calloc((size_t)n, sizeof(long));
  int samples[FRAME];
  memset(quiet, 0xff, FRAME);
  memset(click, 0xff, FRAME);
  memset(click, 0x80, 8);

  long warmup = (long)warmup_seconds * 50, total = warmup + (long)seconds * 50;
  double *send_lateness = malloc(sizeof(double) * (size_t)(seconds * 50 * groups + groups));
  long lateness_count = 0;
  double *impulse = malloc(sizeof(double) * (size_t)(seconds + 2));
  long impulse_count = 0;
  double impulse_sent_at = 0, measured_from = 0, cpu_from = 0;
  int counting = 0;
  long send_failures = 0;

  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event tev = {.events = EPOLLIN, .data.u32 = (uint32_t)n};
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
  double origin = now_ms();
  long k = 0;
  int group = 0;
  arm(tfd, origin);
  double end_at = origin + total * 20.0;
  /* The sink counts what arrives in exactly SECONDS from the nominal start of the measured window, so the
     count is 50 x SECONDS whatever the phase of the engine's clock; reading goes on a little past the end. */
  double window_start = origin + warmup * 20.0, window_end = end_at;
  /* Reads up to BATCH datagrams per socket per call (recvmmsg): one system call where recv needs one per packet
     and one more to learn the socket is empty. */
  static uint8_t in[BATCH][2048];
  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  for (int b = 0; b < BATCH; b++) {
    iovs[b] = (struct iovec){.iov_base = in[b], .iov_len = sizeof in[b]};
    msgs[b] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iovs[b], .msg_iovlen = 1}};
  }
  uint8_t packet[PACKET];
  struct epoll_event events[256];

  for (;;) {
    /* Behind schedule: look at the sockets without waiting, then send again. */
    int behind = k < total && origin + k * 20.0 + group * 20.0 / groups <= now_ms();
    int ready = epoll_wait(ep, events, 256, behind ? 0 : 50);
    for (int e = 0; e < ready; e++) {
      uint32_t id = events[e].data.u32;
      if (id == (uint32_t)n) {
        uint64_t expirations;
        if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) perror("timerfd");
        continue;
      }
      int i = (int)id;
      for (;;) {
        int got = recvmmsg(fds[i], msgs, BATCH, MSG_DONTWAIT, NULL);
        if (got <= 0) break;
        double t = now_ms();
        for (int b = 0; b < got; b++) {
          unsigned len = msgs[b].msg_len;
          if (t < window_start || t >= window_end || len < 12) continue;
          received[i]++;
          int seq = (in[b][2] << 8) | in[b][3];
          if (first_seq[i] < 0) first_seq[i] = seq;
          last_seq[i] = seq;
          if (last_arrival[i] > 0) jitter[i] += (fabs(t - last_arrival[i] - 20) - jitter[i]) / 16;
          last_arrival[i] = t;
          if (room > 0 && received[i] % 25 == 1 && len >= 12 + FRAME) {
            for (int c = 0; c < FRAME; c++) samples[c] = ulaw_decode(in[b][12 + c]);
            int first = i / room * room;
            for (int j = first; j < first + room && j < n; j++)
              if (j != i) heard[(size_t)i * places + (j - first)] += tone_amplitude(samples, frequency[j - first]);
            checks[i]++;
          }
          /* Participant 1 listens for participant 0's click. */
          if (i == 1 && impulse_sent_at > 0) {
            for (unsigned c = 12; c < len; c++) {
              if (in[b][c] < 0x10 || (in[b][c] >= 0x80 && in[b][c] < 0x90)) {
                impulse[impulse_count++] = t - impulse_sent_at;
                impulse_sent_at = 0;
                break;
              }
            }
          }
        }
        if (got < BATCH) break;
      }
    }
    /* At most one tick of sends per pass: a generator that fell behind (short of CPU on a loaded machine) used to
       send overdue groups without end and never read again, so every participant counted nothing at all. Now it
       reads between ticks, and its lateness (sendLateness) says how far behind it was. */
    for (int sent = 0; sent < groups && k < total && origin + k * 20.0 + group * 20.0 / groups <= now_ms(); sent++) {
      if (k == warmup && group == 0) {
        counting = 1;
        measured_from = now_ms();
        cpu_from = cpu_ms();
        printf("{\"type\":\"measuring\"}\n");
        fflush(stdout);
      }
      if (counting) send_lateness[lateness_count++] = now_ms() - (origin + k * 20.0 + group * 20.0 / groups);
      int from = group * n / groups, to = (group + 1) * n / groups;
      for (int i = from; i < to; i++) {
        const uint8_t *payload = tones[room > 0 ? i % room : 0][k % 50];
        if (i == 0) payload = k % 50 == 25 ? click : quiet;
        if (i == 1) payload = quiet;
        packet[0] = 0x80;
        packet[1] = 0;
        packet[2] = seqs[i] >> 8;
        packet[3] = seqs[i] & 0xff;
        uint32_t ts = (uint32_t)(k * FRAME), ssrc = (uint32_t)(i + 1);
        packet[4] = ts >> 24, packet[5] = ts >> 16, packet[6] = ts >> 8, packet[7] = ts;
        packet[8] = ssrc >> 24, packet[9] = ssrc >> 16, packet[10] = ssrc >> 8, packet[11] = ssrc;
        memcpy(packet + 12, payload, FRAME);
        seqs[i]++;
        if (sendto(fds[i], packet, PACKET, 0, (struct sockaddr *)&engine[i], sizeof engine[i]) != PACKET && counting) send_failures++;
        if (i == 0 && k % 50 == 25 && counting) impulse_sent_at = now_ms();
      }
      group = (group + 1) % groups;
      if (group == 0) k++;
    }
    if (k < total) arm(tfd, origin + k * 20.0 + group * 20.0 / groups);
    if (k >= total && now_ms() >= end_at + 100) break;
  }

  double cpu_percent = (cpu_ms() - cpu_from) / (now_ms() - measured_from) * 100;
  printf("{\"type\":\"done\",\"cpuPercent\":%.2f,\"sendFailures\":%ld,\"received\":[", cpu_percent, send_failures);
  for (int i = 0; i < n; i++) printf("%s%ld", i ? "," : "", received[i]);
  printf("],\"sinkLost\":[");
  for (int i = 0; i < n; i++) {
    long span = first_seq[i] < 0 ? 0 : ((last_seq[i] - first_seq[i]) & 0xffff) + 1;
    printf("%s%ld", i ? "," : "", span - received[i]);
  }
  printf("],\"jitter\":[");
  for (int i = 0; i < n; i++) printf("%s%.3f", i ? "," : "", jitter[i]);
  /* A talker is heard when its tone's mean amplitude is at least a tenth of what it sent (-20 dB); 0 and 1 do not talk. */
  printf("],\"missedTalkers\":[");
  for (int i = 0; i < n; i++) {
    int missed = 0;
    if (room > 0) {
      int first = i / room * room;
      for (int j = first; j < first + room && j < n; j++)
        if (j != i && j > 1 && (checks[i] == 0 || heard[(size_t)i * places + (j - first)] / checks[i] < amplitude / 10)) missed++;
    }
    printf("%s%d", i ? "," : "", missed);
  }
  printf("],\"impulseDelays\":[");
  for (long i = 0; i < impulse_count; i++) printf("%s%.3f", i ? "," : "", impulse[i]);
  printf("],\"sendLateness\":[");
  for (long i = 0; i < lateness_count; i++) printf("%s%.3f", i ? "," : "", send_lateness[i]);
  printf("]}\n");
  fflush(stdout);
  return 0;
}
