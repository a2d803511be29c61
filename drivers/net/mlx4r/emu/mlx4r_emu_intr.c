/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Completion events of the emulated ConnectX-3: completion channels, CQ
 * arming, and the device's event thread.
 *
 * What the model does, and where it comes from:
 *  - A channel (ibv_create_comp_channel, Linux uverbs_main.c
 *    ib_uverbs_comp_event_file) queues the events of the CQs created on
 *    it, oldest first, and its fd polls readable while one waits; every
 *    event wakes the fd's waiters (ib_uverbs_comp_handler:
 *    wake_up_interruptible), so an edge-triggered epoll sees each one.
 *    Reading an event counts it for its CQ (ib_uverbs_event_read:
 *    comp_events_reported); events of a destroyed CQ that nobody read are
 *    dropped (ib_uverbs_release_ucq). A CQ whose read events are not all
 *    acknowledged cannot be destroyed (libibverbs cmd_cq.c
 *    ibv_cmd_destroy_cq waits until comp_events_completed reaches the
 *    kernel's count: for ever; the model says -EBUSY instead). A channel
 *    with CQs cannot be destroyed (libibverbs verbs.c
 *    ibv_destroy_comp_channel: EBUSY while refcnt).
 *  - Arming (libmlx4 cq.c mlx4_arm_cq): the arm word
 *    sn << 28 | cmd | ci lands in the CQ doorbell record's second word
 *    (db[1], libmlx4 verbs.c mlx4_create_cq_ex: arm_db = set_ci_db + 1)
 *    before the UAR doorbell, which the model cannot see: it reads db[1]
 *    instead, when the driver says it armed (cq_armed), from its event
 *    thread, and at every CQE of a CQ with a channel. A CQ armed with
 *    MLX4_CQ_DB_REQ_NOT raises one event for the first CQE past ci (at
 *    once when there is one already: the arm word carries the consumer
 *    index for that) and is disarmed; MLX4_CQ_DB_REQ_NOT_SOL
 *    only for an error CQE (raw Ethernet receives are never solicited).
 *    An arm word carrying the sequence number of the arm that raised the
 *    last event is stale and ignored: software counts every event it
 *    takes (libmlx4 cq.c mlx4_cq_event: arm_sn++) so that its next arm is
 *    a new one (Linux mlx4 cq.c mlx4_cq_completion counts every event
 *    in arm_sn the same way, include/linux/mlx4/cq.h mlx4_cq_arm puts it
 *    in the arm word).
 *  - The event thread plays the arm doorbell: it looks at every CQ with a
 *    channel (send CQs under their QP's lock, receive CQs under their
 *    port's rx_lock) when woken (cq_armed) and, while a receive CQ is
 *    armed on a port whose frames come from a pump (generator, TAP), once
 *    a millisecond, pumping it, since no Rx burst does while the
 *    application sleeps; the other wires deliver from a Tx engine, whose
 *    CQE raises the event. Otherwise it sleeps until woken: the device is
 *    idle when the driver is.
 *    It runs while a channel exists.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <rte_common.h>
#include <rte_byteorder.h>
#include <rte_spinlock.h>

#include "mlx4r_emu_priv.h"

/* How often the event thread looks at armed CQs (and pumps their wires). */
#define EMU_INTR_POLL_MS 1

struct emu_intr_thread {
	pthread_t tid;
	struct emu_dev *dev;
	int efd;                   /* eventfd: wake up (arm, stop) */
	bool stop;                 /* atomic: leave */
};

static inline struct emu_ch *
emu_ch(struct mlx4r_hw_channel *h)
{
	return container_of(h, struct emu_ch, hw);
}

static inline struct emu_cq *
emu_cq_of(struct mlx4r_hw_cq *h)
{
	return container_of(h, struct emu_cq, hw);
}

static inline struct emu_ctx *
emu_ctx_of(struct mlx4r_hw_ctx *h)
{
	return container_of(h, struct emu_ctx, hw);
}

/*
 * The channel is empty: its fd stops polling readable. Its file flags
 * are not ours to trust (the kernel face hands out a dup() and the
 * application may make it blocking), so poll first. ch->lock held.
 */
static void
emu_ch_clear(struct emu_ch *ch)
{
	struct pollfd p = { .fd = ch->hw.fd, .events = POLLIN };
	uint64_t v;
	ssize_t n;

	if (poll(&p, 1, 0) == 1) {
		n = read(ch->hw.fd, &v, sizeof(v));
		RTE_SET_USED(n);
	}
}

/* Queue an event of @p cq on its channel and wake the fd's waiters. */
static void
emu_ch_push(struct emu_ch *ch, struct emu_cq *cq)
{
	uint64_t one = 1;
	ssize_t n;

	rte_spinlock_lock(&ch->lock);
	if (ch->tail - ch->head >= EMU_CH_RING) {
		ch->lost++;
	} else {
		ch->ev[ch->tail++ % EMU_CH_RING] = cq;
		/* one write per event: each one wakes epoll (see top) */
		n = write(ch->hw.fd, &one, sizeof(one));
		RTE_SET_USED(n);
	}
	rte_spinlock_unlock(&ch->lock);
}

/* Take the arm word the driver left in db[1], if it is a new one. */
static void
emu_cq_take_arm(struct emu_cq *cq)
{
	/* acquire: the driver stored the word before it said it armed */
	uint32_t w = rte_be_to_cpu_32(__atomic_load_n(&cq->db[1],
						      __ATOMIC_ACQUIRE));
	uint8_t cmd = (w >> 24) & 3;
	uint8_t sn = (w >> 28) & 3;

	if (cmd == 0 || w == cq->arm_seen)
		return;
	cq->arm_seen = w;
	if (sn == cq->fired_sn) {
		/* the arm of the last event again: software did not count it */
		cq->stale_arms++;
		return;
	}
	cq->armed = cmd;
	cq->arm_sn = sn;
	cq->arm_ci = w & MLX4R_CQ_DB_CI_MASK;
}

/*
 * Look at @p cq's arm word and raise its event if it is due: after a new
 * CQE (@p err_cqe: an error CQE), or with err_cqe false from the event
 * thread. Under the engine lock of the CQ's user.
 */
void
emu_cq_notify(struct emu_cq *cq, bool err_cqe)
{
	emu_cq_take_arm(cq);
	if (cq->armed == 0)
		return;
	if (cq->armed == (MLX4_CQ_DB_REQ_NOT_SOL >> 24) && !err_cqe)
		return;
	/* nothing past the consumer index the arm carried */
	if (((cq->pi - cq->arm_ci) & MLX4R_CQ_DB_CI_MASK) == 0)
		return;
	cq->armed = 0;
	cq->fired_sn = cq->arm_sn;
	cq->ev_raised++;
	emu_ch_push(cq->ch, cq);
}

/*
 * Unbind @p cq from its channel at its destroy: its unread events are
 * dropped. -EBUSY (unless @p force: the context closes) while events read
 * from the channel are not all acknowledged. dev->lock held.
 */
int
emu_cq_unbind_locked(struct emu_cq *cq, bool force)
{
	struct emu_ch *ch = cq->ch;
	uint64_t taken = __atomic_load_n(&cq->ev_taken, __ATOMIC_RELAXED);
	uint64_t acked = __atomic_load_n(&cq->ev_acked, __ATOMIC_RELAXED);
	uint32_t i, j;

	if (taken != acked && !force) {
		EMU_LOG(ERR, "CQ 0x%x: destroyed with %" PRIu64 " of %" PRIu64 " events read not acknowledged (libibverbs cmd_cq.c ibv_cmd_destroy_cq waits for them for ever)",
			cq->hw.cqn, taken - acked, taken);
		return -EBUSY;
	}
	rte_spinlock_lock(&ch->lock);
	for (i = j = ch->head; i != ch->tail; i++) {
		struct emu_cq *e = ch->ev[i % EMU_CH_RING];

		if (e != cq)
			ch->ev[j++ % EMU_CH_RING] = e;
	}
	ch->tail = j;
	if (ch->head == ch->tail)
		emu_ch_clear(ch);
	rte_spinlock_unlock(&ch->lock);
	ch->users--;
	cq->ch = NULL;
	return 0;
}

/*
 * The event thread.
 */

/*
 * Does anything but a burst bring frames to @p port (the generator's
 * wire, even while it is off: it may start any time; a TAP)? The other
 * wires deliver from a Tx engine, which raises the event itself.
 * rx_lock held.
 */
static bool
emu_port_pumped(const struct emu_port *port)
{
	enum mlx4r_emu_wire_kind w = __atomic_load_n(&port->wire,
						     __ATOMIC_RELAXED);

	return w == MLX4R_EMU_WIRE_PEER ||
	       (w == MLX4R_EMU_WIRE_TAP && port->tap_fd >= 0);
}

/*
 * Look at the CQs with a channel; true if one stays armed on a port only
 * a pump brings frames to (the thread then looks again in a millisecond).
 * dev->lock held.
 */
static bool
emu_intr_scan(struct emu_dev *dev)
{
	bool armed = false;
	struct emu_ctx *ctx;
	struct emu_wq *wq;
	struct emu_qp *qp;

	TAILQ_FOREACH(ctx, &dev->ctxs, next) {
		if (TAILQ_EMPTY(&ctx->chs) || emu_ctx_frozen(ctx))
			continue;
		/* send CQs: under their QP's engine lock */
		TAILQ_FOREACH(qp, &ctx->qps, next) {
			struct emu_cq *cq = qp->cq;

			if (qp->hw.kind != MLX4R_HW_QP_RAW_TX || cq == NULL ||
			    cq->ch == NULL)
				continue;
			rte_spinlock_lock(&qp->lock);
			emu_cq_notify(cq, false);
			rte_spinlock_unlock(&qp->lock);
		}
		/* receive CQs: through their WQ's port */
		TAILQ_FOREACH(wq, &ctx->wqs, next) {
			struct emu_cq *cq = wq->cq;
			struct emu_port *port;
			uint8_t p;

			if (cq == NULL || cq->ch == NULL)
				continue;
			p = __atomic_load_n(&wq->port, __ATOMIC_ACQUIRE);
			if (p == 0) {
				/* no port: no CQE can come; the arm waits */
				emu_cq_take_arm(cq);
				continue;
			}
			port = &dev->port[p - 1];
			rte_spinlock_lock(&port->rx_lock);
			emu_cq_take_arm(cq);
			if (cq->armed != 0) {
				/* what an Rx burst would pump (emu_rx_hook) */
				if (wq->state == IBV_WQS_ERR)
					EMU_INC(port->st.rx_errors,
						emu_wq_flush(wq));
				emu_wire_pump(port);
				emu_cq_notify(cq, false);
			}
			armed |= cq->armed != 0 && emu_port_pumped(port);
			rte_spinlock_unlock(&port->rx_lock);
		}
	}
	return armed;
}

static void *
emu_intr_main(void *arg)
{
	struct emu_intr_thread *t = arg;
	struct emu_dev *dev = t->dev;
	struct pollfd pfd = { .fd = t->efd, .events = POLLIN };
	bool armed;
	uint64_t v;
	ssize_t n;

	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		emu_dev_run_timers(dev);
		pthread_mutex_lock(&dev->lock);
		armed = emu_intr_scan(dev);
		pthread_mutex_unlock(&dev->lock);
		/*
		 * An arm after the scan wrote the eventfd (emu_cq_armed):
		 * poll returns at once, no wake-up is lost.
		 */
		if (poll(&pfd, 1, armed ? EMU_INTR_POLL_MS : -1) > 0) {
			n = read(t->efd, &v, sizeof(v));
			RTE_SET_USED(n);
		}
	}
	return NULL;
}

/* Start the event thread if it does not run. dev->lock held. */
static int
emu_intr_start_locked(struct emu_dev *dev)
{
	struct emu_intr_thread *t;
	int ret;

	if (dev->intr != NULL)
		return 0;
	if (dev->intr_off)
		return -ENODEV; /* the process is going */
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->dev = dev;
	t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->efd < 0) {
		ret = -errno;
		free(t);
		return ret;
	}
	ret = pthread_create(&t->tid, NULL, emu_intr_main, t);
	if (ret != 0) {
		close(t->efd);
		free(t);
		return -ret;
	}
	pthread_setname_np(t->tid, "mlx4r-emu-ev");
	/* release: emu_cq_armed() reads it without dev->lock */
	__atomic_store_n(&dev->intr, t, __ATOMIC_RELEASE);
	return 0;
}

/*
 * The event thread, taken from the device once it has no channel left,
 * for emu_intr_join() after dev->lock is released (the thread takes it).
 * NULL if it runs on or does not run.
 */
struct emu_intr_thread *
emu_intr_detach_locked(struct emu_dev *dev)
{
	struct emu_intr_thread *t = dev->intr;

	/* stopped for good: it stays published (mlx4r_emu_dev_stop_threads) */
	if (t == NULL || dev->nb_ch != 0 || dev->intr_off)
		return NULL;
	__atomic_store_n(&dev->intr, NULL, __ATOMIC_RELAXED);
	return t;
}

void
emu_intr_join(struct emu_intr_thread *t)
{
	uint64_t one = 1;
	ssize_t n;

	if (t == NULL)
		return;
	/* release: pairs with the thread's acquire load of stop */
	__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
	n = write(t->efd, &one, sizeof(one));
	RTE_SET_USED(n);
	pthread_join(t->tid, NULL);
	close(t->efd);
	free(t);
}

/*
 * The process goes with channels left (the kernel face's teardown): the
 * event thread stops and is joined here, before the EAL unmaps the
 * memory it pumps frames into and closes the log stream. Its struct stays
 * published in dev->intr, never freed: emu_cq_armed() loads it without
 * dev->lock while a channel exists and may still ring its eventfd, which
 * nobody reads any more; intr_off (dev->lock) keeps
 * emu_intr_detach_locked() from handing it out for a second join and
 * emu_intr_start_locked() from starting another. The stop flag's release
 * store pairs with the thread's acquire load (emu_intr_main()); the join
 * orders the rest.
 */
void
mlx4r_emu_dev_stop_threads(struct mlx4r_emu_dev *edev)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_intr_thread *t;
	uint64_t one = 1;
	ssize_t n;

	if (dev == NULL)
		return;
	pthread_mutex_lock(&dev->lock);
	t = dev->intr_off ? NULL : dev->intr;
	dev->intr_off = true;
	/* the engine thread too (engine_thread): it fills those buffers */
	emu_engine_stop_locked(dev);
	pthread_mutex_unlock(&dev->lock);
	if (t == NULL)
		return;
	__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
	n = write(t->efd, &one, sizeof(one));
	RTE_SET_USED(n);
	pthread_join(t->tid, NULL);
}

/*
 * Channels.
 */

int
emu_create_comp_channel(struct mlx4r_hw_ctx *hctx,
			struct mlx4r_hw_channel **out)
{
	struct emu_ctx *ctx = emu_ctx_of(hctx);
	struct emu_dev *dev = ctx->dev;
	struct emu_ch *ch;
	int ret;

	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return -ENOMEM;
	rte_spinlock_init(&ch->lock);
	ch->hw.ctx = hctx;
	/* readable while its counter is not 0: while an event waits */
	ch->hw.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ch->hw.fd < 0) {
		ret = -errno;
		free(ch);
		return ret;
	}
	pthread_mutex_lock(&dev->lock);
	/* no firmware command: fails only on a disassociated context */
	ret = emu_ctx_disassociated(ctx) ? -EIO : emu_intr_start_locked(dev);
	if (ret == 0) {
		TAILQ_INSERT_TAIL(&ctx->chs, ch, next);
		dev->nb_ch++;
		*out = &ch->hw;
	}
	pthread_mutex_unlock(&dev->lock);
	if (ret != 0) {
		close(ch->hw.fd);
		free(ch);
	}
	return ret;
}

/* Destroy a channel without CQs. dev->lock held. */
void
emu_ch_destroy_locked(struct emu_ch *ch)
{
	struct emu_ctx *ctx = emu_ctx_of(ch->hw.ctx);

	TAILQ_REMOVE(&ctx->chs, ch, next);
	ctx->dev->nb_ch--;
	close(ch->hw.fd);
	free(ch);
}

int
emu_destroy_comp_channel(struct mlx4r_hw_channel *hch)
{
	struct emu_ch *ch = emu_ch(hch);
	struct emu_dev *dev = emu_ctx_of(hch->ctx)->dev;
	struct emu_intr_thread *t = NULL;
	int ret = -EBUSY;

	pthread_mutex_lock(&dev->lock);
	if (ch->users == 0) {
		emu_ch_destroy_locked(ch);
		t = emu_intr_detach_locked(dev);
		ret = 0;
	} else {
		EMU_LOG(ERR, "completion channel fd %d: destroyed with %u CQs on it (libibverbs verbs.c ibv_destroy_comp_channel: EBUSY)",
			hch->fd, ch->users);
	}
	pthread_mutex_unlock(&dev->lock);
	emu_intr_join(t);
	return ret;
}

int
emu_create_cq_ch(struct mlx4r_hw_ctx *hctx, uint32_t cqe,
		 struct mlx4r_hw_channel *hch, struct mlx4r_hw_cq **out)
{
	return emu_cq_alloc(hctx, cqe, hch != NULL ? emu_ch(hch) : NULL, out);
}

int
emu_get_cq_event(struct mlx4r_hw_channel *hch, struct mlx4r_hw_cq **out)
{
	struct emu_ch *ch = emu_ch(hch);
	struct emu_cq *cq;

	rte_spinlock_lock(&ch->lock);
	if (ch->head == ch->tail) {
		rte_spinlock_unlock(&ch->lock);
		return -EAGAIN;
	}
	cq = ch->ev[ch->head++ % EMU_CH_RING];
	/* counted at the read, as ib_uverbs_event_read does */
	__atomic_fetch_add(&cq->ev_taken, 1, __ATOMIC_RELAXED);
	if (ch->head == ch->tail)
		emu_ch_clear(ch); /* the last one */
	rte_spinlock_unlock(&ch->lock);
	*out = &cq->hw;
	return 0;
}

void
emu_ack_cq_events(struct mlx4r_hw_cq *hcq, unsigned int n)
{
	struct emu_cq *cq = emu_cq_of(hcq);
	uint64_t acked = __atomic_add_fetch(&cq->ev_acked, n,
					    __ATOMIC_RELAXED);

	if (acked > __atomic_load_n(&cq->ev_taken, __ATOMIC_RELAXED))
		EMU_LOG(ERR, "CQ 0x%x: %" PRIu64 " events acknowledged, more than the %" PRIu64 " read (libibverbs verbs.c ibv_ack_cq_events: ibv_destroy_cq would wait for ever)",
			hcq->cqn, acked,
			__atomic_load_n(&cq->ev_taken, __ATOMIC_RELAXED));
}

void
emu_cq_armed(struct mlx4r_hw_cq *hcq)
{
	struct emu_dev *dev = emu_ctx_of(hcq->ctx)->dev;
	uint64_t one = 1;
	ssize_t n;
	/*
	 * The doorbell the model cannot see: wake the event thread, which
	 * reads the arm word (its acquire pairs with the driver's barrier
	 * before the doorbell). dev->intr runs while the CQ's channel
	 * exists; its pointer changes under dev->lock only when no channel
	 * is left, so it is stable here.
	 */
	struct emu_intr_thread *t = __atomic_load_n(&dev->intr,
						    __ATOMIC_ACQUIRE);

	if (t != NULL) {
		n = write(t->efd, &one, sizeof(one));
		RTE_SET_USED(n);
	}
}
