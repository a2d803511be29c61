/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Wires of the emulated ConnectX-3: what each port is cabled to (nothing,
 * itself, another emulated port, the built-in generator/checker peer, a TAP
 * interface), the generator, the checker and the device clock.
 *
 * Cabling changes take emu_wire_lock (one for all devices, so that a
 * cross-connect between two devices never needs two device locks) and the
 * rx_lock of each port they touch. The Tx engine reads a port's wire
 * without a lock (relaxed loads): re-cable a port while its queues are idle,
 * or accept that a frame in flight takes the old wire.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "mlx4r_emu_priv.h"

#define EMU_GEN_DPORT 5000

static pthread_mutex_t emu_wire_lock = PTHREAD_MUTEX_INITIALIZER;
static uint16_t emu_next_stream = 1;

/*
 * Clock.
 */

uint64_t
emu_dev_clock(struct emu_dev *dev)
{
	uint64_t hz;

	if (__atomic_load_n(&dev->manual_clock, __ATOMIC_RELAXED))
		return __atomic_load_n(&dev->manual_ns, __ATOMIC_RELAXED);
	hz = rte_get_timer_hz();
	/* no EAL in the process (a plain rdma-core program on the kernel
	 * face, emu/kface): no timer frequency, the monotonic clock */
	if (unlikely(hz == 0))
		return emu_mono_ns();
	return (uint64_t)((unsigned __int128)rte_get_timer_cycles() *
			  1000000000u / hz);
}

void
mlx4r_emu_clock_manual(struct mlx4r_emu_dev *edev, bool manual)
{
	struct emu_dev *dev = (struct emu_dev *)edev;

	__atomic_store_n(&dev->manual_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&dev->manual_clock, manual, __ATOMIC_RELAXED);
}

void
mlx4r_emu_clock_advance(struct mlx4r_emu_dev *edev, uint64_t ns)
{
	struct emu_dev *dev = (struct emu_dev *)edev;

	__atomic_fetch_add(&dev->manual_ns, ns, __ATOMIC_RELAXED);
}

uint64_t
mlx4r_emu_clock_now(struct mlx4r_emu_dev *edev)
{
	return emu_dev_clock((struct emu_dev *)edev);
}

/*
 * Ports.
 */

/*
 * The state of a port's wire, generator, checker and steering table as a
 * new port has it: nothing cabled, generator off, no stream known, no
 * rule. Its memory is freed (emu_wire_port_fini()) or was never there.
 */
static void
emu_wire_port_clear(struct emu_port *port)
{
	port->tap_fd = -1;
	port->wire = MLX4R_EMU_WIRE_NONE;
	port->peer = NULL;
	port->rx_frame = NULL;
	port->rules = NULL;
	port->nb_rules = 0;
	port->rules_cap = 0;
	memset(&port->gen, 0, sizeof(port->gen));
	memset(port->chk, 0, sizeof(port->chk));
	port->chk_last = NULL;
	memset(&port->chk_st, 0, sizeof(port->chk_st));
}

void
emu_wire_port_init(struct emu_port *port)
{
	emu_wire_port_clear(port);
	port->rx_frame = malloc(MLX4R_EMU_MAX_FRAME);
}

/*
 * Close the TAP, free what the port allocated, and leave it as
 * emu_wire_port_init() finds a new one: a checker stream still marked
 * used with its flows freed would be found again by the next frame of
 * its id (emu_chk_stream_find()), a use after free, and its counters and
 * the steering table's size would outlive the arrays they describe.
 */
void
emu_wire_port_fini(struct emu_port *port)
{
	unsigned int i;

	if (port->tap_fd >= 0)
		close(port->tap_fd);
	for (i = 0; i < EMU_CHK_STREAMS; i++)
		free(port->chk[i].flows);
	free(port->gen.frame);
	free(port->rx_frame);
	free(port->rules);
	emu_wire_port_clear(port);
}

/* Unplug a port's wire; emu_wire_lock held. */
static void
emu_wire_unplug(struct emu_port *port)
{
	struct emu_port *peer = port->peer;

	if (port->wire == MLX4R_EMU_WIRE_XCONNECT && peer != NULL) {
		rte_spinlock_lock(&peer->rx_lock);
		__atomic_store_n(&peer->wire, MLX4R_EMU_WIRE_NONE,
				 __ATOMIC_RELAXED);
		peer->peer = NULL;
		rte_spinlock_unlock(&peer->rx_lock);
	}
	rte_spinlock_lock(&port->rx_lock);
	__atomic_store_n(&port->wire, MLX4R_EMU_WIRE_NONE, __ATOMIC_RELAXED);
	port->peer = NULL;
	if (port->tap_fd >= 0) {
		close(port->tap_fd);
		port->tap_fd = -1;
	}
	rte_spinlock_unlock(&port->rx_lock);
}

static int
emu_wire_set(struct mlx4r_emu_dev *edev, uint8_t port_num,
	     enum mlx4r_emu_wire_kind kind, struct emu_port *peer, int fd)
{
	struct emu_port *port = emu_dev_port((struct emu_dev *)edev, port_num);

	if (port == NULL || port == peer)
		return -EINVAL;
	pthread_mutex_lock(&emu_wire_lock);
	emu_wire_unplug(port);
	if (peer != NULL) {
		emu_wire_unplug(peer);
		rte_spinlock_lock(&peer->rx_lock);
		peer->peer = port;
		__atomic_store_n(&peer->wire, kind, __ATOMIC_RELAXED);
		rte_spinlock_unlock(&peer->rx_lock);
	}
	rte_spinlock_lock(&port->rx_lock);
	port->peer = peer;
	port->tap_fd = fd;
	__atomic_store_n(&port->wire, kind, __ATOMIC_RELAXED);
	rte_spinlock_unlock(&port->rx_lock);
	pthread_mutex_unlock(&emu_wire_lock);
	return 0;
}

int
mlx4r_emu_wire_none(struct mlx4r_emu_dev *dev, uint8_t port)
{
	return emu_wire_set(dev, port, MLX4R_EMU_WIRE_NONE, NULL, -1);
}

int
mlx4r_emu_wire_loopback(struct mlx4r_emu_dev *dev, uint8_t port)
{
	return emu_wire_set(dev, port, MLX4R_EMU_WIRE_LOOPBACK, NULL, -1);
}

int
mlx4r_emu_wire_xconnect(struct mlx4r_emu_dev *dev, uint8_t port,
			struct mlx4r_emu_dev *peer_dev, uint8_t peer_port)
{
	struct emu_port *peer = emu_dev_port((struct emu_dev *)peer_dev,
					     peer_port);

	if (peer == NULL)
		return -EINVAL;
	return emu_wire_set(dev, port, MLX4R_EMU_WIRE_XCONNECT, peer, -1);
}

int
mlx4r_emu_wire_peer(struct mlx4r_emu_dev *dev, uint8_t port)
{
	return emu_wire_set(dev, port, MLX4R_EMU_WIRE_PEER, NULL, -1);
}

int
mlx4r_emu_wire_tap(struct mlx4r_emu_dev *dev, uint8_t port,
		   const char *ifname, char *ifname_out)
{
	struct ifreq ifr;
	int fd, ret;

	if (emu_dev_port((struct emu_dev *)dev, port) == NULL ||
	    (ifname != NULL && strlen(ifname) >= IFNAMSIZ))
		return -EINVAL;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ifname != NULL)
		strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (ifname_out != NULL)
		memcpy(ifname_out, ifr.ifr_name, IFNAMSIZ);
	return emu_wire_set(dev, port, MLX4R_EMU_WIRE_TAP, NULL, fd);
}

int
mlx4r_emu_wire_kind(struct mlx4r_emu_dev *dev, uint8_t port_num)
{
	struct emu_port *port = emu_dev_port((struct emu_dev *)dev, port_num);

	if (port == NULL)
		return -EINVAL;
	return (int)__atomic_load_n(&port->wire, __ATOMIC_RELAXED);
}

/*
 * Checker (frames the port sends to the peer); port->chk_lock held.
 */

static struct emu_chk_stream *
emu_chk_stream_find(struct emu_port *port, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < EMU_CHK_STREAMS; i++)
		if (port->chk[i].used && port->chk[i].id == id)
			return &port->chk[i];
	for (i = 0; i < EMU_CHK_STREAMS; i++) {
		struct emu_chk_stream *s = &port->chk[i];

		if (s->used)
			continue;
		if (s->flows == NULL)
			s->flows = calloc(MLX4R_EMU_GEN_MAX_FLOWS,
					  sizeof(*s->flows));
		if (s->flows == NULL)
			return NULL;
		memset(s->flows, 0,
		       MLX4R_EMU_GEN_MAX_FLOWS * sizeof(*s->flows));
		s->used = true;
		s->id = id;
		return s;
	}
	return NULL;
}

/*
 * The stream @p id: the one of the frame before when it has that id (a
 * generator's frames come as one stream, doorbell after doorbell), else
 * found or made among chk[]. A stream stops being used only in
 * mlx4r_emu_chk_reset, which forgets chk_last.
 */
static inline struct emu_chk_stream *
emu_chk_stream(struct emu_port *port, uint16_t id)
{
	struct emu_chk_stream *s = port->chk_last;

	if (likely(s != NULL && s->id == id))
		return s;
	s = emu_chk_stream_find(port, id);
	port->chk_last = s;
	return s;
}

static inline bool
emu_chk_missing(const struct emu_chk_flow *fl, uint64_t seq)
{
	seq %= EMU_CHK_WINDOW;
	return (fl->missing[seq / 64] >> (seq % 64)) & 1;
}

/* Mark @p seq missing (@p v) or not, nmissing kept the count of bits set. */
static inline void
emu_chk_set_missing(struct emu_chk_flow *fl, uint64_t seq, bool v)
{
	uint64_t *w, b;

	seq %= EMU_CHK_WINDOW;
	w = &fl->missing[seq / 64];
	b = 1ull << (seq % 64);
	if (v == !(*w & b)) {
		*w ^= b;
		fl->nmissing += v ? 1 : -1;
	}
}

/* emu_chk_frame(), every case (chk_lock held). */
void
emu_chk_frame_all(struct emu_port *port, const struct emu_frame *f)
{
	struct mlx4r_emu_chk_stats *st = &port->chk_st;
	struct emu_chk_stream *s;
	struct emu_chk_flow *fl;
	uint16_t stream, flow;
	uint64_t seq, q;

	st->bytes += f->len;
	if (!emu_chk_stamp(f, &stream, &flow, &seq))
		goto foreign;
	s = emu_chk_stream(port, stream);
	if (s == NULL)
		goto foreign;
	/* unique is received - duplicated: made when read */
	st->received += 1;
	fl = &s->flows[flow];
	if (likely(seq == fl->next)) {
		/* the next one (every frame of a lossless run): no gap */
		emu_chk_set_missing(fl, seq, false);
		fl->next = seq + 1;
	} else if (seq > fl->next) {
		/* Sequence numbers skipped are lost until they show up. */
		if (seq - fl->next >= EMU_CHK_WINDOW) {
			memset(fl->missing, 0xff, sizeof(fl->missing));
			fl->nmissing = EMU_CHK_WINDOW;
		} else {
			for (q = fl->next; q < seq; q++)
				emu_chk_set_missing(fl, q, true);
		}
		st->lost += seq - fl->next;
		emu_chk_set_missing(fl, seq, false);
		fl->next = seq + 1;
	} else if (fl->next - seq > EMU_CHK_WINDOW) {
		/* Too old to tell: taken as a late frame, not a copy. */
		st->out_of_order += 1;
		if (st->lost > 0)
			st->lost--;
	} else if (!emu_chk_missing(fl, seq)) {
		st->duplicated += 1;
	} else {
		emu_chk_set_missing(fl, seq, false);
		st->out_of_order += 1;
		st->lost--;
	}
	return;
foreign:
	st->foreign += 1;
}

int
mlx4r_emu_chk_stats(struct mlx4r_emu_dev *dev, uint8_t port_num,
		    struct mlx4r_emu_chk_stats *st)
{
	struct emu_port *port = emu_dev_port((struct emu_dev *)dev, port_num);

	if (port == NULL || st == NULL)
		return -EINVAL;
	rte_spinlock_lock(&port->chk_lock);
	*st = port->chk_st;
	rte_spinlock_unlock(&port->chk_lock);
	/* every stamped frame but a copy is a distinct one */
	st->unique = st->received - st->duplicated;
	return 0;
}

int
mlx4r_emu_chk_reset(struct mlx4r_emu_dev *dev, uint8_t port_num)
{
	struct emu_port *port = emu_dev_port((struct emu_dev *)dev, port_num);
	unsigned int i;

	if (port == NULL)
		return -EINVAL;
	rte_spinlock_lock(&port->chk_lock);
	memset(&port->chk_st, 0, sizeof(port->chk_st));
	for (i = 0; i < EMU_CHK_STREAMS; i++)
		port->chk[i].used = false;
	port->chk_last = NULL;
	rte_spinlock_unlock(&port->chk_lock);
	return 0;
}

/*
 * The wires that do not deliver into a port (emu_wire_port() returned
 * NULL, @p w what it read): the checker, the TAP device; none, or a link
 * down, drops the frame (false).
 */
bool
emu_wire_tx_other(struct emu_port *port, enum mlx4r_emu_wire_kind w,
		  const struct emu_frame *f, rte_spinlock_t **held)
{
	switch (w) {
	case MLX4R_EMU_WIRE_PEER:
		emu_lock_switch(held, &port->chk_lock);
		emu_chk_frame(port, f);
		return true;
	case MLX4R_EMU_WIRE_TAP:
		return write(port->tap_fd, f->data, f->len) == (ssize_t)f->len;
	default:
		return false;
	}
}

/*
 * Transmit side of a wire. Called by the Tx engine (qp->lock held, and at
 * most one port spinlock: *held, which this switches to the rx_lock of
 * the port the frame arrives at, or to the chk_lock of the checker that
 * takes it). @p run: the Tx engine's receive verdict of the doorbell
 * (emu_rx_deliver_tx()), NULL for a frame on its own (the kernel's).
 * Returns false when the frame was dropped.
 */
bool
emu_wire_tx(struct emu_port *port, const struct emu_frame *f,
	    rte_spinlock_t **held, struct emu_rx_run *run)
{
	enum mlx4r_emu_wire_kind w;
	/* a loopback or a cross-connect with its links up */
	struct emu_port *to = emu_wire_port(port, &w);

	if (to == NULL)
		return emu_wire_tx_other(port, w, f, held);
	if (run != NULL) {
		/* the Tx engine's doorbell: one verdict per run of a flow */
		emu_rx_deliver_tx(to, f, held, run);
		return true;
	}
	emu_lock_switch(held, &to->rx_lock);
	emu_rx_deliver(to, f);
	return true;
}

/*
 * Generator.
 */

static void
emu_gen_defaults(struct mlx4r_emu_gen_conf *c, const struct emu_port *port)
{
	if (c->frame_size == 0)
		c->frame_size = MLX4R_EMU_GEN_MIN_FRAME;
	if (c->nb_flows == 0)
		c->nb_flows = 1;
	if (c->burst == 0)
		c->burst = 32;
	if (c->backlog == 0)
		c->backlog = 4096;
	if (rte_is_zero_ether_addr(&c->dst_mac) && port != NULL)
		c->dst_mac = port->mac;
	if (rte_is_zero_ether_addr(&c->src_mac))
		c->src_mac = (struct rte_ether_addr){ .addr_bytes = {
			0x02, 0, 0, 0, port != NULL ? port->num : 0, 0xfe } };
	if (c->src_ip == 0)
		c->src_ip = RTE_IPV4(10, 0, 0, 1);
	if (c->dst_ip == 0)
		c->dst_ip = RTE_IPV4(10, 1, 0, 1);
	if (c->dst_port == 0)
		c->dst_port = EMU_GEN_DPORT;
}

static uint32_t
emu_gen_build(const struct mlx4r_emu_gen_conf *c, uint16_t stream,
	      uint16_t flow, uint64_t seq, uint8_t *d)
{
	uint32_t len = c->frame_size;
	uint32_t sip = rte_cpu_to_be_32(c->src_ip + flow);
	uint32_t dip = rte_cpu_to_be_32(c->dst_ip);
	uint16_t v16, csum;
	uint32_t v32;
	uint64_t v64;

	memset(d, 0, len);
	memcpy(d, c->dst_mac.addr_bytes, 6);
	memcpy(d + 6, c->src_mac.addr_bytes, 6);
	d[12] = 0x08;
	d[13] = 0x00;
	/* IPv4 */
	d[14] = 0x45;
	v16 = rte_cpu_to_be_16((uint16_t)(len - 14));
	memcpy(d + 16, &v16, 2);
	d[20] = 0x40; /* DF */
	d[22] = 64;
	d[23] = IPPROTO_UDP;
	memcpy(d + 26, &sip, 4);
	memcpy(d + 30, &dip, 4);
	csum = (uint16_t)~emu_csum_fold(emu_csum_add(0, d + 14, 20));
	memcpy(d + 24, &csum, 2);
	/* UDP, no checksum */
	/*
	 * Not 1024 + flow: with the usual key, source address and port
	 * moving in step cancel out in the low hash bits.
	 */
	v16 = rte_cpu_to_be_16((uint16_t)(1024 + 7 * flow));
	memcpy(d + 34, &v16, 2);
	v16 = rte_cpu_to_be_16(c->dst_port);
	memcpy(d + 36, &v16, 2);
	v16 = rte_cpu_to_be_16((uint16_t)(len - 34));
	memcpy(d + 38, &v16, 2);
	/* Stamp */
	v32 = rte_cpu_to_be_32(EMU_STAMP_MAGIC);
	memcpy(d + EMU_STAMP_OFF, &v32, 4);
	v16 = rte_cpu_to_be_16(stream);
	memcpy(d + EMU_STAMP_OFF + 4, &v16, 2);
	v16 = rte_cpu_to_be_16(flow);
	memcpy(d + EMU_STAMP_OFF + 6, &v16, 2);
	v64 = rte_cpu_to_be_64(seq);
	memcpy(d + EMU_STAMP_OFF + 8, &v64, 8);
	return len;
}

/*
 * Build the generator's frame in full for flow 0, sequence 0, and the sum
 * of its IPv4 header without the source address and the checksum, so that
 * emu_gen_set_flow() and emu_gen_pump() only store what changes: the same
 * bytes as emu_gen_build() (mlx4r_emu_gen_frame() and the unit tests
 * compare against it).
 */
static void
emu_gen_prepare(struct emu_gen *g)
{
	const uint8_t *ip = g->frame + RTE_ETHER_HDR_LEN;

	emu_gen_build(&g->conf, g->stream, 0, 0, g->frame);
	/* 16-bit words at even offsets: the order of the sum does not matter */
	g->ip_sum = emu_csum_add(emu_csum_add(0, ip, 10), ip + 16, 4);
	g->cur_flow = 0;
}

/* Store the fields of flow @p flow into the generator's frame. */
static void
emu_gen_set_flow(struct emu_gen *g, uint32_t flow)
{
	uint8_t *d = g->frame;
	uint32_t sip = rte_cpu_to_be_32(g->conf.src_ip + flow);
	uint16_t v16;

	memcpy(d + 26, &sip, 4);
	v16 = (uint16_t)~emu_csum_fold(g->ip_sum + sip);
	memcpy(d + 24, &v16, 2);
	v16 = rte_cpu_to_be_16((uint16_t)(1024 + 7 * flow));
	memcpy(d + 34, &v16, 2);
	v16 = rte_cpu_to_be_16((uint16_t)flow);
	memcpy(d + EMU_STAMP_OFF + 6, &v16, 2);
	g->cur_flow = flow;
}

int
mlx4r_emu_gen_frame(const struct mlx4r_emu_gen_conf *conf, uint16_t stream,
		    uint16_t flow, uint64_t seq, void *buf, size_t size)
{
	struct mlx4r_emu_gen_conf c = *conf;

	emu_gen_defaults(&c, NULL);
	if (c.frame_size < MLX4R_EMU_GEN_MIN_FRAME || c.frame_size > size ||
	    c.frame_size > MLX4R_EMU_MAX_FRAME ||
	    flow >= MLX4R_EMU_GEN_MAX_FLOWS)
		return -EINVAL;
	return (int)emu_gen_build(&c, stream, flow, seq, buf);
}

int
mlx4r_emu_gen_start(struct mlx4r_emu_dev *edev, uint8_t port_num,
		    const struct mlx4r_emu_gen_conf *conf)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_port *port = emu_dev_port(dev, port_num);
	struct mlx4r_emu_gen_conf c;

	if (port == NULL || conf == NULL)
		return -EINVAL;
	c = *conf;
	emu_gen_defaults(&c, port);
	if (c.frame_size < MLX4R_EMU_GEN_MIN_FRAME ||
	    c.frame_size > MLX4R_EMU_MAX_FRAME ||
	    c.nb_flows > MLX4R_EMU_GEN_MAX_FLOWS)
		return -EINVAL;
	pthread_mutex_lock(&emu_wire_lock);
	rte_spinlock_lock(&port->rx_lock);
	if (port->gen.frame == NULL) {
		port->gen.frame = malloc(MLX4R_EMU_MAX_FRAME);
		if (port->gen.frame == NULL) {
			rte_spinlock_unlock(&port->rx_lock);
			pthread_mutex_unlock(&emu_wire_lock);
			return -ENOMEM;
		}
	}
	port->gen.conf = c;
	port->gen.stream = emu_next_stream++;
	emu_gen_prepare(&port->gen);
	port->gen.start_ns = emu_dev_clock(dev);
	port->gen.issued = 0;
	memset(&port->gen.st, 0, sizeof(port->gen.st));
	port->gen.st.stream = port->gen.stream;
	port->gen.on = true;
	rte_spinlock_unlock(&port->rx_lock);
	pthread_mutex_unlock(&emu_wire_lock);
	return 0;
}

int
mlx4r_emu_gen_stop(struct mlx4r_emu_dev *dev, uint8_t port_num)
{
	struct emu_port *port = emu_dev_port((struct emu_dev *)dev, port_num);

	if (port == NULL)
		return -EINVAL;
	rte_spinlock_lock(&port->rx_lock);
	port->gen.on = false;
	rte_spinlock_unlock(&port->rx_lock);
	return 0;
}

int
mlx4r_emu_gen_stats(struct mlx4r_emu_dev *dev, uint8_t port_num,
		    struct mlx4r_emu_gen_stats *st)
{
	struct emu_port *port = emu_dev_port((struct emu_dev *)dev, port_num);

	if (port == NULL || st == NULL)
		return -EINVAL;
	rte_spinlock_lock(&port->rx_lock);
	*st = port->gen.st;
	rte_spinlock_unlock(&port->rx_lock);
	return 0;
}

/* Frames the generator owes the wire now. */
static uint64_t
emu_gen_due(struct emu_port *port)
{
	struct emu_gen *g = &port->gen;
	uint64_t due, now;

	if (g->conf.rate_pps == 0) {
		due = g->issued + g->conf.burst;
	} else {
		now = emu_dev_clock(port->dev);
		due = now <= g->start_ns ? 0 : (uint64_t)
			((unsigned __int128)(now - g->start_ns) *
			 g->conf.rate_pps / 1000000000u);
	}
	if (g->conf.count != 0 && due > g->conf.count)
		due = g->conf.count;
	return due > g->issued ? due - g->issued : 0;
}

static void
emu_gen_pump(struct emu_port *port)
{
	struct emu_gen *g = &port->gen;
	uint64_t n, drop, seq;
	uint32_t flow;
	struct emu_rx_run run;
	struct emu_frame f;
	bool up;

	n = emu_gen_due(port);
	if (n == 0)
		return;
	up = __atomic_load_n(&port->link_up, __ATOMIC_RELAXED);
	drop = up ? (n > g->conf.backlog ? n - g->conf.backlog : 0) : n;
	if (drop != 0) {
		/* Lost on the wire: their sequence numbers are used up. */
		g->issued += drop;
		g->st.wire_drop += drop;
		n -= drop;
		if (up)
			EMU_INC(port->st.rx_missed, drop);
	}
	n = RTE_MIN(n, (uint64_t)g->conf.burst);
	f.data = g->frame;
	f.len = g->conf.frame_size;
	f.csum_known = EMU_CSUM_L3_OK | EMU_CSUM_L4_OK;
	/* frame k is flow k % nb_flows, sequence number k / nb_flows */
	flow = (uint32_t)(g->issued % g->conf.nb_flows);
	seq = g->issued / g->conf.nb_flows;
	g->issued += n;
	g->st.sent += n;
	g->st.bytes += n * f.len;
	/*
	 * The frames of one flow differ only in their sequence number (past
	 * l4 + 16): one receive verdict for each run of them (rx_lock held
	 * throughout, emu_rx_deliver_seq()).
	 */
	emu_rx_run_init(&run);
	if (g->conf.nb_flows == 1) {
		/* one flow: the frames differ in their sequence number only */
		if (g->cur_flow != 0)
			emu_gen_set_flow(g, 0);
		emu_rx_deliver_seq(port, &f, &run,
				   g->frame + EMU_STAMP_OFF + 8, seq, n);
		return;
	}
	while (n-- > 0) {
		if (flow != g->cur_flow) {
			emu_gen_set_flow(g, flow);
			run.valid = false;
		}
		emu_rx_deliver_seq(port, &f, &run,
				   g->frame + EMU_STAMP_OFF + 8, seq, 1);
		if (++flow == g->conf.nb_flows) {
			flow = 0;
			seq++;
		}
	}
}

/* Pump a port's wire into its receive side; port->rx_lock held. */
void
emu_wire_pump(struct emu_port *port)
{
	enum mlx4r_emu_wire_kind w = __atomic_load_n(&port->wire,
						     __ATOMIC_RELAXED);
	struct emu_frame f;
	unsigned int i;
	ssize_t n;

	if (w == MLX4R_EMU_WIRE_PEER && port->gen.on) {
		emu_gen_pump(port);
	} else if (w == MLX4R_EMU_WIRE_TAP && port->tap_fd >= 0) {
		f.data = port->rx_frame;
		f.csum_known = 0;
		for (i = 0; i < EMU_RX_PUMP_MAX; i++) {
			n = read(port->tap_fd, port->rx_frame,
				 MLX4R_EMU_MAX_FRAME);
			if (n <= 0)
				break;
			if (!__atomic_load_n(&port->link_up, __ATOMIC_RELAXED))
				continue;
			f.len = (uint32_t)n;
			emu_rx_deliver(port, &f);
		}
	}
}

/*
 * A frame of the kernel's netdev (mlx4_en en_tx.c mlx4_en_xmit): it leaves
 * the port as a uverbs QP's would, onto the port's wire, in the port's
 * counters. mlx4_en transmits only while its port is open (en_netdev.c
 * mlx4_en_start_port; the netdev down is mlx4_en_stop_port), nothing
 * larger than the MTU the port was opened with (SET_PORT general,
 * MLX4_EN_EFF_MTU), and nothing on a dead device (catas.c: the netdevs
 * are detached until mlx4_restart_one). No lock of the device is held
 * on entry; emu_wire_tx() takes the one of the port the frame arrives at.
 */
int
mlx4r_emu_netdev_xmit(struct mlx4r_emu_dev *edev, uint8_t port_num,
		      const void *frame, uint32_t len)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_port *port = emu_dev_port(dev, port_num);
	rte_spinlock_t *held = NULL;
	struct emu_frame f;
	int ret = 0;
	bool ok;

	if (port == NULL || frame == NULL || len < RTE_ETHER_HDR_LEN)
		return -EINVAL;
	if (__atomic_load_n(&dev->fatal, __ATOMIC_RELAXED))
		ret = -EIO;
	else if (!__atomic_load_n(&port->nd.up, __ATOMIC_RELAXED))
		ret = -ENETDOWN;
	else if (len > EMU_PORT_MAX_FRAME(__atomic_load_n(&port->nd.mtu,
							  __ATOMIC_RELAXED)))
		ret = -EMSGSIZE;
	if (ret == 0) {
		f.data = frame;
		f.len = len;
		f.csum_known = 0;
		ok = emu_wire_tx(port, &f, &held, NULL);
		if (held != NULL)
			rte_spinlock_unlock(held);
		if (ok) {
			emu_port_add_stat(&port->st.tx_frames, 1);
			emu_port_add_stat(&port->st.tx_bytes, len);
			emu_port_add_stat(&port->st.netdev_tx, 1);
			return 0;
		}
		ret = -ENOLINK;
	}
	emu_port_add_stat(&port->st.tx_dropped, 1);
	emu_port_add_stat(&port->st.netdev_tx_dropped, 1);
	return ret;
}
