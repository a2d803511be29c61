/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Reset coordination: the control thread, the ethdev callbacks, the
 * client side (see resetcoord.h for the protocol).
 *
 * Threads and what they share:
 *  - ethdev callbacks run on whatever thread raised the event (the EAL
 *    interrupt thread, a PMD's control thread, an application thread).
 *    They find their instance in the process-wide owner table (under
 *    resetcoord_owners_lock, see there), queue the event on its ring and write
 *    its eventfd; they never block on anything else.
 *  - the control thread (one per instance) owns every port's state
 *    machine and every client's round, ops and ack bookkeeping.
 *  - each client's lcore owns its acked_round and reads its ops only
 *    while pending is 0.
 *  - the application's threads call resetcoord_port_add/client_register/use
 *    before the lcores run, and resetcoord_free at the end; the port table is
 *    protected by r->lock against the control thread.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_string_fns.h>

#include "mlx4r_compat.h"
#include "resetcoord.h"

RTE_LOG_REGISTER_DEFAULT(resetcoord_logtype, INFO);

#define RESETCOORD_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, resetcoord_logtype, "resetcoord %s: " fmt "\n", \
		r->name, ##__VA_ARGS__)

/* Event bits a callback ORs into port->events. */
#define RESETCOORD_EV_RESET (1u << 0)       /* INTR_RESET: passive */
#define RESETCOORD_EV_RECOVERING (1u << 1)  /* ERR_RECOVERING: proactive */
#define RESETCOORD_EV_SUCCESS (1u << 2)     /* RECOVERY_SUCCESS */
#define RESETCOORD_EV_FAILED (1u << 3)      /* RECOVERY_FAILED */
#define RESETCOORD_EV_RMV (1u << 4)         /* INTR_RMV */
#define RESETCOORD_EV_GONE (1u << 5)        /* DESTROY: ethdev released the port */

/*
 * Where a port's reset stands (control thread only). After the acks, the
 * phase follows from what the reset still owes the driver (the need_*
 * flags of struct resetcoord_port), see resetcoord_port_next().
 */
enum resetcoord_phase {
	RESETCOORD_PHASE_IDLE,
	RESETCOORD_PHASE_ACKS,       /* waiting for the clients' acks */
	RESETCOORD_PHASE_RECOVERY,   /* waiting for the driver's RECOVERY_* */
	RESETCOORD_PHASE_DEV_RESET,  /* rte_eth_dev_reset() to call */
	RESETCOORD_PHASE_RESTORE,    /* replaying the configuration */
};

static const enum rte_eth_event_type resetcoord_events[] = {
	RTE_ETH_EVENT_INTR_RESET,
	RTE_ETH_EVENT_ERR_RECOVERING,
	RTE_ETH_EVENT_RECOVERY_SUCCESS,
	RTE_ETH_EVENT_RECOVERY_FAILED,
	RTE_ETH_EVENT_INTR_RMV,
};

struct resetcoord_port {
	uint16_t port_id;
	bool managed;
	/*
	 * Set (release) by the DESTROY callback under resetcoord_owners_lock when
	 * ethdev releases the port; read (acquire) by the control thread
	 * before it calls ethdev on the port.
	 */
	bool released;
	/*
	 * Events that found the event queue full (or behind an overflow):
	 * ORed by the callbacks, taken by the control thread, both under
	 * resetcoord_owners_lock. See resetcoord_post() and resetcoord_take_merged().
	 */
	uint32_t merged;
	/*
	 * What the running reset still owes the driver: set by the events,
	 * cleared as the reset answers them, all false when none runs.
	 * ERR_RECOVERING: wait for its RECOVERY_SUCCESS (ethdev: no control
	 * call on the port until the outcome); INTR_RESET: call
	 * rte_eth_dev_reset(); after that call: replay the configuration.
	 * A request that comes during the reset sets its flag again, so it
	 * gets its own answer (rte_eth_dev_reset() again, even after the
	 * restore began).
	 */
	bool need_outcome;
	bool need_reset;
	bool need_restore;
	enum resetcoord_phase phase;
	enum resetcoord_port_state state;
	uint64_t begin_tsc;          /* reset began */
	uint64_t ack_deadline;       /* tsc */
	uint64_t end_deadline;       /* tsc */
	bool late_logged;
	uint64_t generation;
	struct resetcoord_port_conf conf;
	struct resetcoord_port_stats stats;
};

/* Private part of a client; the public struct comes first. */
struct resetcoord_client_priv {
	struct resetcoord_client pub;
	struct resetcoord *r;
	unsigned int idx;            /* in r->clients[] */
	char name[32];
	resetcoord_drain_t drain;
	void *drain_arg;
	/* control thread: round of the reset it waits for, 0 if none */
	uint32_t round;
	uint32_t want_round;         /* the round the next ack must carry */
	bool acked;                  /* control: ack of want_round seen */
	uint32_t busy_ports;         /* control: ports of it resetting */
	bool owed;                   /* control: ended without its ack */
	/* lcore only */
	uint32_t acked_round;
};

/* A notification queued by the control thread, delivered unlocked. */
struct resetcoord_note {
	uint16_t port_id;
	enum resetcoord_event event;
	char client[32];
};

/*
 * Notifications queued before the control thread delivers them. Not a
 * limit on their number: the queue is delivered (lock let go) before any
 * step that could fill it, see resetcoord_note_room().
 */
#define RESETCOORD_MAX_NOTES 256
/* The most notes one event or one port step queues. */
#define RESETCOORD_NOTES_PER_STEP (RESETCOORD_MAX_CLIENTS + 3)

struct resetcoord {
	char name[32];
	uint64_t token;              /* cb_arg of its ethdev callbacks */
	struct resetcoord_conf conf;
	mlx4r_thread_t thread;
	int efd;                     /* wakes the control thread */
	bool stop;                   /* set by resetcoord_free */
	pthread_mutex_t lock;        /* ports[] and clients[] vs control */
	struct rte_ring *acks;       /* lcores -> control thread */
	struct rte_ring *events;     /* callbacks -> control thread, in order */
	/*
	 * The event queue overflowed: events go to ports[].merged until the
	 * control thread took them. Written under resetcoord_owners_lock; the
	 * control thread's first look is a relaxed load, then it takes the
	 * lock.
	 */
	bool ev_overflow;
	struct resetcoord_client_priv *clients[RESETCOORD_MAX_CLIENTS];
	struct resetcoord_port ports[RTE_MAX_ETHPORTS];
	/* control thread only: notifications of the current step */
	struct resetcoord_note notes[RESETCOORD_MAX_NOTES];
	unsigned int nb_notes;
};

/*
 * Which instance manages each port id, for the whole process.
 *
 * The ethdev callbacks are registered per port with the instance's token
 * (a number never reused) as their argument, not a pointer into the
 * instance: a callback looks its instance up here and uses it only while
 * it holds resetcoord_owners_lock. resetcoord_free() takes its ports out of the table
 * under the same lock, so once it has held the lock no callback still
 * uses the instance and none will start to: that is the handshake with
 * callbacks in flight on other threads, and why the instance may be freed
 * right after. ethdev's own signal is not enough for it:
 * rte_eth_dev_callback_unregister() reports -EAGAIN (callback running)
 * per port id only, and with RTE_ETH_ALL only for the last port id
 * (lib/ethdev/rte_ethdev.c, rte_eth_dev_callback_unregister(): ret is
 * reset for each port of the loop); and it cannot unregister at all from
 * a port id that was released (-EINVAL), whose callback list ethdev
 * keeps. An entry left behind is harmless: its token names no instance.
 *
 * A port id has at most one owner: a second instance is refused (EBUSY)
 * instead of both driving the same reset.
 *
 * The lock is held for a table lookup and a ring enqueue, never across a
 * call into ethdev or the application.
 */
static pthread_mutex_t resetcoord_owners_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resetcoord *resetcoord_owners[RTE_MAX_ETHPORTS];
static uint64_t resetcoord_last_token; /* under resetcoord_owners_lock */
static bool resetcoord_destroy_hooked; /* under resetcoord_owners_lock */

/*
 * The library's callback contexts, per thread: the instance whose control
 * thread this is (notify and restore callbacks run there), and the client
 * whose drain callback runs (inside its resetcoord_client_sync()). Calls that
 * would wait for the calling thread itself, or free what the caller is
 * in the middle of, see them and fail with an errno instead
 * (resetcoord_lib.rst, "Callback contexts").
 */
static RTE_DEFINE_PER_LCORE(struct resetcoord *, resetcoord_in_control);
static RTE_DEFINE_PER_LCORE(struct resetcoord_client_priv *, resetcoord_in_drain);

static inline struct resetcoord_client_priv *
resetcoord_priv(struct resetcoord_client *c)
{
	return (struct resetcoord_client_priv *)c;
}

static void
resetcoord_wake(struct resetcoord *r)
{
	uint64_t one = 1;

	/* eventfd writes only fail when the counter would overflow */
	if (write(r->efd, &one, sizeof(one)) < 0)
		return;
}

/* Queue an event of port_id for r's control thread; resetcoord_owners_lock held. */
static void
resetcoord_post(struct resetcoord *r, uint16_t port_id, uint32_t bit)
{
	/*
	 * An ordered queue, not a bit mask: a RECOVERY_SUCCESS and the next
	 * ERR_RECOVERING arriving close together must be seen in that order.
	 * The enqueue (multi-producer: any thread may raise events) releases,
	 * the control thread's dequeue acquires; the eventfd wakes it.
	 *
	 * If the queue is full (the control thread is held up, e.g. by an
	 * application callback that blocks), the event is not lost: it is
	 * merged into the port's word, and so is every later event until
	 * the control thread took them (so that none of them overtakes one
	 * still in the queue). Only their order within the word is lost;
	 * resetcoord_take_merged() applies them in an order that is safe whatever
	 * it was.
	 */
	bool overflow = __atomic_load_n(&r->ev_overflow, __ATOMIC_RELAXED);

	if (!overflow &&
	    rte_ring_mp_enqueue(r->events,
				(void *)(((uintptr_t)port_id << 8) | bit)) == 0) {
		resetcoord_wake(r);
		return;
	}
	if (!overflow) {
		RESETCOORD_LOG(ERR, "port %u: event queue full: events merged until the control thread catches up",
			port_id);
		__atomic_store_n(&r->ev_overflow, true, __ATOMIC_RELAXED);
	}
	r->ports[port_id].merged |= bit;
	resetcoord_wake(r);
}

/*
 * ethdev callback. Runs on the thread that raised the event: it must not
 * block, so it only records the event and wakes the control thread.
 */
static int
resetcoord_event_cb(uint16_t port_id, enum rte_eth_event_type type, void *arg,
	     void *ret_param)
{
	uint64_t token = (uintptr_t)arg;
	struct resetcoord *r;
	uint32_t bit;

	RTE_SET_USED(ret_param);
	if (port_id >= RTE_MAX_ETHPORTS)
		return 0;
	switch (type) {
	case RTE_ETH_EVENT_INTR_RESET:
		bit = RESETCOORD_EV_RESET;
		break;
	case RTE_ETH_EVENT_ERR_RECOVERING:
		bit = RESETCOORD_EV_RECOVERING;
		break;
	case RTE_ETH_EVENT_RECOVERY_SUCCESS:
		bit = RESETCOORD_EV_SUCCESS;
		break;
	case RTE_ETH_EVENT_RECOVERY_FAILED:
		bit = RESETCOORD_EV_FAILED;
		break;
	case RTE_ETH_EVENT_INTR_RMV:
		bit = RESETCOORD_EV_RMV;
		break;
	default:
		return 0;
	}
	/* the instance is used only under the lock: see resetcoord_owners_lock */
	pthread_mutex_lock(&resetcoord_owners_lock);
	r = resetcoord_owners[port_id];
	if (r != NULL && r->token == token)
		resetcoord_post(r, port_id, bit);
	pthread_mutex_unlock(&resetcoord_owners_lock);
	return 0;
}

static uint64_t
resetcoord_ms_to_tsc(uint32_t ms)
{
	return rte_get_timer_hz() / 1000 * ms;
}

/*
 * Queue a notification: the control thread delivers them after it let go
 * of r->lock, so that the application's callback may call the library
 * (stats, registration) without deadlocking.
 */
static void
resetcoord_notify(struct resetcoord *r, struct resetcoord_port *p, enum resetcoord_event ev,
	   const char *client)
{
	struct resetcoord_note *n;

	/* never full: resetcoord_note_room() ran before the step that queues it */
	if (r->conf.notify == NULL || r->nb_notes == RESETCOORD_MAX_NOTES)
		return;
	n = &r->notes[r->nb_notes++];
	n->port_id = p->port_id;
	n->event = ev;
	strlcpy(n->client, client != NULL ? client : "", sizeof(n->client));
}

static void
resetcoord_deliver_notes(struct resetcoord *r)
{
	unsigned int i;

	for (i = 0; i < r->nb_notes; i++)
		r->conf.notify(r->notes[i].port_id, r->notes[i].event,
			       r->notes[i].client[0] != '\0' ?
			       r->notes[i].client : NULL,
			       r->conf.notify_arg);
	r->nb_notes = 0;
}

/*
 * Make room for the notes of one event or one port step: deliver those
 * queued so far, with r->lock let go as at the end of an iteration. The
 * ports' machines are consistent between two events or steps, and this
 * thread alone moves them.
 */
static void
resetcoord_note_room(struct resetcoord *r)
{
	if (RESETCOORD_MAX_NOTES - r->nb_notes >= RESETCOORD_NOTES_PER_STEP)
		return;
	pthread_mutex_unlock(&r->lock);
	resetcoord_deliver_notes(r);
	pthread_mutex_lock(&r->lock);
}

/*
 * Begin a reset of port p (the event's need_* flag is set already): tell
 * every client using it.
 */
static void
resetcoord_reset_begin(struct resetcoord *r, struct resetcoord_port *p, const char *why)
{
	uint64_t now = rte_get_timer_cycles();
	unsigned int i, j;

	p->phase = RESETCOORD_PHASE_ACKS;
	p->state = RESETCOORD_PORT_RESETTING;
	p->begin_tsc = now;
	p->ack_deadline = now + resetcoord_ms_to_tsc(r->conf.ack_timeout_ms);
	p->end_deadline = now + resetcoord_ms_to_tsc(r->conf.recovery_timeout_ms);
	p->late_logged = false;
	p->stats.resets++;
	p->stats.state = p->state;
	RESETCOORD_LOG(INFO, "port %u: reset begins (%s)", p->port_id, why);
	for (i = 0; i < RESETCOORD_MAX_CLIENTS; i++) {
		struct resetcoord_client_priv *c = r->clients[i];

		if (c == NULL)
			continue;
		for (j = 0; j < c->pub.nb_uses; j++) {
			if (c->pub.ops[j].port_id == p->port_id)
				break;
		}
		if (j == c->pub.nb_uses)
			continue;
		if (c->busy_ports++ == 0) {
			/* a new round: the client's next ack must carry it */
			c->want_round++;
			c->acked = false;
			c->owed = false; /* this round's ack settles it */
			/*
			 * Publish the round, then pending (release): the lcore
			 * that sees pending (acquire) sees the round.
			 */
			__atomic_store_n(&c->round, c->want_round,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&c->pub.pending, 1,
					 __ATOMIC_RELEASE);
		}
	}
	resetcoord_notify(r, p, RESETCOORD_EVENT_RESET_BEGIN, NULL);
}

/*
 * Client c acknowledged its round and none of its ports resets any more:
 * publish fresh ops (every use from its port's state now) and let it go.
 * The lcore's reads of its ops before it acked happen before its ack
 * (ring enqueue, release), which this thread took (dequeue, acquire); it
 * reads them again only once it sees pending 0: so these plain stores
 * race with no read of the lcore, and the release store of pending
 * publishes them. Ops are written here only: a client that has not acked
 * may be in the middle of an iteration, reading them.
 */
static void
resetcoord_client_release(struct resetcoord *r, struct resetcoord_client_priv *c)
{
	unsigned int j;

	for (j = 0; j < c->pub.nb_uses; j++) {
		const struct resetcoord_port *p = &r->ports[c->pub.ops[j].port_id];

		c->pub.ops[j].state = p->state;
		c->pub.ops[j].generation = p->generation;
	}
	c->owed = false;
	__atomic_store_n(&c->pub.pending, 0, __ATOMIC_RELEASE);
}

/* Drain the ack ring: mark each client whose current round is acked. */
static void
resetcoord_collect_acks(struct resetcoord *r)
{
	void *msg[32];
	unsigned int n, i;

	/*
	 * The lcore's enqueue is a release on the ring's tail, the dequeue
	 * here an acquire: everything the lcore did with the port before
	 * its ack happens before what this thread does after.
	 */
	while ((n = rte_ring_sc_dequeue_burst(r->acks, msg, RTE_DIM(msg),
					      NULL)) > 0) {
		for (i = 0; i < n; i++) {
			uintptr_t v = (uintptr_t)msg[i];
			unsigned int idx = v & 0xff;
			uint32_t round = v >> 8;
			struct resetcoord_client_priv *c;

			if (idx >= RESETCOORD_MAX_CLIENTS)
				continue;
			c = r->clients[idx];
			if (c == NULL || round != c->want_round)
				continue;
			c->acked = true;
			/* it drained at last: release it (resetcoord_reset_end) */
			if (c->owed && c->busy_ports == 0)
				resetcoord_client_release(r, c);
		}
	}
}

/* Are all clients using port p acked? Log (once) and count late ones. */
static bool
resetcoord_all_acked(struct resetcoord *r, struct resetcoord_port *p, uint64_t now)
{
	bool all = true, late = now > p->ack_deadline;
	unsigned int i, j;

	for (i = 0; i < RESETCOORD_MAX_CLIENTS; i++) {
		struct resetcoord_client_priv *c = r->clients[i];

		if (c == NULL || c->acked || c->busy_ports == 0)
			continue;
		for (j = 0; j < c->pub.nb_uses; j++) {
			if (c->pub.ops[j].port_id == p->port_id)
				break;
		}
		if (j == c->pub.nb_uses)
			continue;
		all = false;
		if (late && !p->late_logged) {
			RESETCOORD_LOG(WARNING, "port %u: client %s has not acknowledged within %u ms",
				p->port_id, c->name, r->conf.ack_timeout_ms);
			p->stats.late_clients++;
			resetcoord_notify(r, p, RESETCOORD_EVENT_LATE_CLIENT, c->name);
		}
	}
	if (late)
		p->late_logged = true;
	return all;
}

/* Passive mode: the saved configuration, again. 0, -EAGAIN, -errno. */
static int
resetcoord_restore(struct resetcoord_port *p)
{
	const struct resetcoord_port_conf *pc = &p->conf;
	uint16_t q;
	int ret;

	if (pc->restore != NULL)
		return pc->restore(p->port_id, pc->restore_arg);
	ret = rte_eth_dev_configure(p->port_id, pc->nb_rxq, pc->nb_txq,
				    &pc->eth_conf);
	if (ret != 0)
		return ret;
	for (q = 0; q < pc->nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(p->port_id, q, pc->nb_rxd,
			rte_eth_dev_socket_id(p->port_id), NULL, pc->mp);
		if (ret != 0)
			return ret;
	}
	for (q = 0; q < pc->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(p->port_id, q, pc->nb_txd,
			rte_eth_dev_socket_id(p->port_id), NULL);
		if (ret != 0)
			return ret;
	}
	if (pc->mtu != 0) {
		ret = rte_eth_dev_set_mtu(p->port_id, pc->mtu);
		if (ret != 0)
			return ret;
	}
	ret = rte_eth_dev_start(p->port_id);
	if (ret != 0)
		return ret;
	if (pc->promiscuous)
		ret = rte_eth_promiscuous_enable(p->port_id);
	return ret;
}

/* End a reset: publish fresh ops to the clients, tell the application. */
static void
resetcoord_reset_end(struct resetcoord *r, struct resetcoord_port *p, enum resetcoord_port_state st)
{
	uint64_t us = (rte_get_timer_cycles() - p->begin_tsc) * 1000000 /
		      rte_get_timer_hz();
	unsigned int i, j;

	p->phase = RESETCOORD_PHASE_IDLE;
	p->state = st;
	p->need_outcome = false;
	p->need_reset = false;
	p->need_restore = false;
	if (st == RESETCOORD_PORT_LIVE)
		p->generation++;
	p->stats.state = st;
	p->stats.generation = p->generation;
	p->stats.last_us = us;
	p->stats.worst_us = RTE_MAX(p->stats.worst_us, us);
	if (st == RESETCOORD_PORT_LIVE)
		p->stats.resets_ok++;
	else if (st == RESETCOORD_PORT_FAILED)
		p->stats.resets_failed++;
	for (i = 0; i < RESETCOORD_MAX_CLIENTS; i++) {
		struct resetcoord_client_priv *c = r->clients[i];
		bool uses = false;

		if (c == NULL)
			continue;
		for (j = 0; j < c->pub.nb_uses; j++) {
			if (c->pub.ops[j].port_id == p->port_id) {
				uses = true;
				break;
			}
		}
		if (!uses || c->busy_ports == 0 || --c->busy_ports != 0)
			continue;
		if (!c->acked) {
			/*
			 * A reset that ended without this client's ack (a
			 * deadline, a removal): it still owes its drain, or
			 * the mbufs it holds for the port would leak, and it
			 * may be reading its ops right now. Keep pending
			 * until its ack (resetcoord_collect_acks).
			 */
			c->owed = true;
			continue;
		}
		resetcoord_client_release(r, c);
	}
	if (st == RESETCOORD_PORT_LIVE)
		RESETCOORD_LOG(INFO, "port %u: reset done after %" PRIu64 " us (generation %" PRIu64 ")",
			p->port_id, us, p->generation);
	else
		RESETCOORD_LOG(ERR, "port %u: reset %s after %" PRIu64 " us",
			p->port_id, st == RESETCOORD_PORT_REMOVED ? "ended, port removed" :
			"FAILED", us);
	resetcoord_notify(r, p, st == RESETCOORD_PORT_LIVE ? RESETCOORD_EVENT_RESET_DONE :
		   st == RESETCOORD_PORT_REMOVED ? RESETCOORD_EVENT_REMOVED :
		   RESETCOORD_EVENT_RESET_FAILED, NULL);
}

/*
 * The acks are in: the next phase is the first thing the reset still owes
 * (the driver's outcome before any control call, then rte_eth_dev_reset(),
 * then the restore), or its end.
 */
static void
resetcoord_port_next(struct resetcoord *r, struct resetcoord_port *p)
{
	if (p->need_outcome)
		p->phase = RESETCOORD_PHASE_RECOVERY;
	else if (p->need_reset)
		p->phase = RESETCOORD_PHASE_DEV_RESET;
	else if (p->need_restore)
		p->phase = RESETCOORD_PHASE_RESTORE;
	else
		resetcoord_reset_end(r, p, RESETCOORD_PORT_LIVE);
}

/*
 * The port fails or goes (st FAILED or REMOVED), whatever its phase: its
 * lcores leave it. With no reset running, one begins so that every client
 * gets a round (drain, ack) and takes the new state from fresh ops.
 */
static void
resetcoord_port_lost(struct resetcoord *r, struct resetcoord_port *p, enum resetcoord_port_state st,
	      const char *why)
{
	if (p->phase == RESETCOORD_PHASE_IDLE) {
		if (p->state == st || p->state == RESETCOORD_PORT_REMOVED)
			return; /* its lcores are off the port already */
		resetcoord_reset_begin(r, p, why);
	}
	RESETCOORD_LOG(ERR, "port %u: %s", p->port_id, why);
	resetcoord_reset_end(r, p, st);
}

/* One event of port p, in the order the PMD raised it. */
static void
resetcoord_port_event(struct resetcoord *r, struct resetcoord_port *p, uint32_t ev)
{
	switch (ev) {
	case RESETCOORD_EV_RMV:
		resetcoord_port_lost(r, p, RESETCOORD_PORT_REMOVED, "device removed");
		return;
	case RESETCOORD_EV_GONE:
		resetcoord_port_lost(r, p, RESETCOORD_PORT_REMOVED,
			      "released by ethdev (closed) while managed");
		return;
	case RESETCOORD_EV_FAILED:
		/*
		 * In any phase and mode, with or without a reset of ours: the
		 * driver says the port is not usable any more (ethdev:
		 * RTE_ETH_EVENT_RECOVERY_FAILED).
		 */
		resetcoord_port_lost(r, p, RESETCOORD_PORT_FAILED,
			      "the driver reports recovery failed");
		return;
	case RESETCOORD_EV_SUCCESS:
		if (p->phase == RESETCOORD_PHASE_IDLE || !p->need_outcome)
			return; /* the outcome of no request we wait on */
		p->need_outcome = false;
		if (p->phase == RESETCOORD_PHASE_RECOVERY)
			resetcoord_port_next(r, p);
		return; /* else the acks are still missing */
	case RESETCOORD_EV_RESET:
	case RESETCOORD_EV_RECOVERING:
		if (p->state == RESETCOORD_PORT_REMOVED)
			return;
		if (ev == RESETCOORD_EV_RESET)
			p->need_reset = true;
		else
			p->need_outcome = true; /* a success seen was older */
		if (p->phase == RESETCOORD_PHASE_IDLE) {
			resetcoord_reset_begin(r, p, ev == RESETCOORD_EV_RESET ?
					"INTR_RESET" : "ERR_RECOVERING");
			return;
		}
		/*
		 * A new request during the reset: the lcores are off the port
		 * already, the reset answers it too. Past the acks, it may
		 * have to step back (a restore under way goes back to
		 * rte_eth_dev_reset(): the driver waits for that call).
		 */
		RESETCOORD_LOG(INFO, "port %u: new %s coalesced into the reset",
			p->port_id, ev == RESETCOORD_EV_RESET ? "INTR_RESET" :
			"ERR_RECOVERING");
		if (p->phase != RESETCOORD_PHASE_ACKS)
			resetcoord_port_next(r, p);
		return;
	default:
		return;
	}
}

/* Advance port p's reset as far as acks, calls and deadlines let it. */
static void
resetcoord_port_step(struct resetcoord *r, struct resetcoord_port *p, uint64_t now)
{
	int ret;

again:
	switch (p->phase) {
	case RESETCOORD_PHASE_ACKS:
		if (!resetcoord_all_acked(r, p, now)) {
			if (now > p->end_deadline) {
				RESETCOORD_LOG(ERR, "port %u: clients never acknowledged; the port is left alone",
					p->port_id);
				resetcoord_reset_end(r, p, RESETCOORD_PORT_FAILED);
			}
			return;
		}
		resetcoord_port_next(r, p);
		if (p->phase != RESETCOORD_PHASE_DEV_RESET &&
		    p->phase != RESETCOORD_PHASE_RESTORE)
			return;
		goto again;
	case RESETCOORD_PHASE_DEV_RESET:
		if (__atomic_load_n(&p->released, __ATOMIC_ACQUIRE)) {
			resetcoord_reset_end(r, p, RESETCOORD_PORT_REMOVED);
			return;
		}
		/*
		 * ethdev calls may block (a PMD's dev_reset can wait for its
		 * device): not under r->lock, which the application's calls
		 * take. This thread alone moves p's state machine.
		 */
		pthread_mutex_unlock(&r->lock);
		ret = rte_eth_dev_reset(p->port_id);
		pthread_mutex_lock(&r->lock);
		if (ret == -EAGAIN || ret == -EBUSY) {
			if (now > p->end_deadline) {
				RESETCOORD_LOG(ERR, "port %u: rte_eth_dev_reset still %s after %u ms",
					p->port_id, rte_strerror(-ret),
					r->conf.recovery_timeout_ms);
				goto failed;
			}
			return; /* again on the next step */
		}
		if (ret != 0) {
			RESETCOORD_LOG(ERR, "port %u: rte_eth_dev_reset: %s",
				p->port_id, rte_strerror(-ret));
			goto failed;
		}
		/* an INTR_RESET that came meanwhile is in the queue: later */
		p->need_reset = false;
		p->need_restore = true;
		resetcoord_port_next(r, p);
		goto again;
	case RESETCOORD_PHASE_RESTORE:
		if (__atomic_load_n(&p->released, __ATOMIC_ACQUIRE)) {
			resetcoord_reset_end(r, p, RESETCOORD_PORT_REMOVED);
			return;
		}
		pthread_mutex_unlock(&r->lock);
		ret = resetcoord_restore(p);
		pthread_mutex_lock(&r->lock);
		if (ret == -EAGAIN || ret == -EBUSY) {
			if (now > p->end_deadline) {
				RESETCOORD_LOG(ERR, "port %u: restoring the configuration still %s after %u ms",
					p->port_id, rte_strerror(-ret),
					r->conf.recovery_timeout_ms);
				goto failed;
			}
			return;
		}
		if (ret != 0) {
			RESETCOORD_LOG(ERR, "port %u: restoring the configuration: %s",
				p->port_id, rte_strerror(-ret));
			goto failed;
		}
		p->need_restore = false;
		resetcoord_port_next(r, p);
		return;
	case RESETCOORD_PHASE_RECOVERY:
		if (now > p->end_deadline) {
			RESETCOORD_LOG(ERR, "port %u: no RECOVERY_SUCCESS within %u ms",
				p->port_id, r->conf.recovery_timeout_ms);
			goto failed;
		}
		return;
	default:
		return;
	}
failed:
	resetcoord_reset_end(r, p, RESETCOORD_PORT_FAILED);
}

/* The events queued so far, in order, to their managed ports. */
static void
resetcoord_take_events(struct resetcoord *r, uint64_t now)
{
	void *msg[32];
	unsigned int n, i;

	while ((n = rte_ring_sc_dequeue_burst(r->events, msg, RTE_DIM(msg),
					      NULL)) > 0) {
		/*
		 * Acks enqueued before these events (a client that acked,
		 * then the driver that raised the outcome) are visible now:
		 * the event ring's dequeue acquired what its enqueue
		 * released. Take them first, so that an event is never
		 * judged against a port still waiting for an ack that came
		 * before it: a RECOVERY_SUCCESS after the last ack ends the
		 * reset, and an ERR_RECOVERING right behind it begins the
		 * next one instead of being merged into the first.
		 */
		resetcoord_collect_acks(r);
		for (i = 0; i < n; i++) {
			uintptr_t v = (uintptr_t)msg[i];
			uint16_t port_id = v >> 8;
			struct resetcoord_port *p;

			if (port_id >= RTE_MAX_ETHPORTS ||
			    !r->ports[port_id].managed)
				continue;
			p = &r->ports[port_id];
			resetcoord_note_room(r);
			if (p->phase == RESETCOORD_PHASE_ACKS &&
			    resetcoord_all_acked(r, p, now))
				resetcoord_port_next(r, p);
			resetcoord_port_event(r, p, v & 0xff);
		}
	}
}

/*
 * After an overflow of the event queue: the events merged into the ports'
 * words. They are taken once the queue is empty, with resetcoord_owners_lock
 * held, so that they come after every event of the queue and before any
 * event raised later (which goes to the queue again). Returns false if
 * the queue was not empty yet.
 *
 * Their order is lost, so they are applied in the order that is safe
 * whatever it was: outcomes first, then requests, then removal. An
 * outcome taken for older than it was can only leave the reset waiting
 * for another one (FAILED at the deadline, lcores off the port); a
 * request taken for older than an outcome could end a reset the driver
 * is still running, with the lcores back on the port.
 */
static bool
resetcoord_take_merged(struct resetcoord *r, uint64_t now)
{
	static const uint32_t order[] = {
		RESETCOORD_EV_SUCCESS, RESETCOORD_EV_FAILED, RESETCOORD_EV_RECOVERING, RESETCOORD_EV_RESET,
		RESETCOORD_EV_RMV, RESETCOORD_EV_GONE,
	};
	uint32_t merged[RTE_MAX_ETHPORTS];
	unsigned int i, k;

	pthread_mutex_lock(&resetcoord_owners_lock);
	if (!rte_ring_empty(r->events)) {
		pthread_mutex_unlock(&resetcoord_owners_lock);
		return false;
	}
	for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
		merged[i] = r->ports[i].merged;
		r->ports[i].merged = 0;
	}
	__atomic_store_n(&r->ev_overflow, false, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&resetcoord_owners_lock);
	resetcoord_collect_acks(r);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
		struct resetcoord_port *p = &r->ports[i];

		if (merged[i] == 0 || !p->managed)
			continue;
		RESETCOORD_LOG(WARNING, "port %u: events 0x%x merged at a queue overflow",
			p->port_id, merged[i]);
		for (k = 0; k < RTE_DIM(order); k++) {
			if ((merged[i] & order[k]) == 0)
				continue;
			resetcoord_note_room(r);
			if (p->phase == RESETCOORD_PHASE_ACKS &&
			    resetcoord_all_acked(r, p, now))
				resetcoord_port_next(r, p);
			resetcoord_port_event(r, p, order[k]);
		}
	}
	return true;
}

static mlx4r_thread_ret_t
resetcoord_control_thread(void *arg)
{
	struct resetcoord *r = arg;

	RTE_PER_LCORE(resetcoord_in_control) = r;
	for (;;) {
		struct pollfd pfd = { .fd = r->efd, .events = POLLIN };
		bool busy = false;
		uint64_t now, v;
		unsigned int i;

		pthread_mutex_lock(&r->lock);
		if (r->stop) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		now = rte_get_timer_cycles();
		resetcoord_collect_acks(r);
		do {
			resetcoord_take_events(r, now);
		} while (__atomic_load_n(&r->ev_overflow, __ATOMIC_RELAXED) &&
			 !resetcoord_take_merged(r, now));
		for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
			struct resetcoord_port *p = &r->ports[i];

			if (!p->managed)
				continue;
			resetcoord_note_room(r);
			resetcoord_port_step(r, p, now);
			busy |= p->phase != RESETCOORD_PHASE_IDLE;
		}
		pthread_mutex_unlock(&r->lock);
		resetcoord_deliver_notes(r);
		/* 1 ms steps while a reset runs; else sleep until woken */
		if (poll(&pfd, 1, busy ? 1 : 100) > 0 &&
		    read(r->efd, &v, sizeof(v)) < 0)
			continue;
	}
	return MLX4R_THREAD_RET;
}

/*
 * Take r's callbacks of port_id off ethdev's lists (the first nb_events of
 * resetcoord_events[]). The port must no longer be r's in resetcoord_owners[], so that
 * a callback still running finds nothing to do and returns at once.
 */
static void
resetcoord_port_unregister(uint16_t port_id, uint64_t token, unsigned int nb_events)
{
	void *arg = (void *)(uintptr_t)token;
	unsigned int i;
	int ret;

	for (i = 0; i < nb_events; i++) {
		/*
		 * Per port: -EAGAIN means the callback runs on another thread
		 * right now (ethdev keeps the entry then); it returns without
		 * blocking, so wait for it and remove the entry.
		 */
		while ((ret = rte_eth_dev_callback_unregister(port_id,
				resetcoord_events[i], resetcoord_event_cb, arg)) == -EAGAIN)
			sched_yield();
		/*
		 * -EINVAL: the port was released; ethdev keeps its list (the
		 * next device on that port id inherits it) but refuses its id.
		 * RTE_ETH_ALL walks every list and removes the entries that do
		 * not run; its -EAGAIN would only be about the last port id,
		 * so it is no proof: an entry it leaves is inert (its token
		 * names no instance).
		 */
		if (ret == -EINVAL)
			(void)rte_eth_dev_callback_unregister(RTE_ETH_ALL,
				resetcoord_events[i], resetcoord_event_cb, arg);
	}
}

/*
 * RTE_ETH_EVENT_DESTROY, registered once for every port id (RTE_ETH_ALL,
 * no argument, never unregistered: it holds nothing that goes away).
 * ethdev raises it from rte_eth_dev_release_port() on the thread that
 * closes or detaches the port, while the port id is still valid. The
 * port's owner lets it go: the port is REMOVED for its clients (the
 * event below), its callbacks leave the port's list (which ethdev keeps
 * for the next device on that port id), and the port id may be managed
 * again, by another instance.
 */
static int
resetcoord_destroy_cb(uint16_t port_id, enum rte_eth_event_type type, void *arg,
	       void *ret_param)
{
	uint64_t token = 0;
	struct resetcoord *r;

	RTE_SET_USED(arg);
	RTE_SET_USED(ret_param);
	if (type != RTE_ETH_EVENT_DESTROY || port_id >= RTE_MAX_ETHPORTS)
		return 0;
	pthread_mutex_lock(&resetcoord_owners_lock);
	r = resetcoord_owners[port_id];
	if (r != NULL) {
		resetcoord_owners[port_id] = NULL;
		token = r->token;
		/* pairs with the acquire loads in resetcoord_port_step() */
		__atomic_store_n(&r->ports[port_id].released, true,
				 __ATOMIC_RELEASE);
		resetcoord_post(r, port_id, RESETCOORD_EV_GONE);
	}
	pthread_mutex_unlock(&resetcoord_owners_lock);
	/* r may be gone by now; only its token is used */
	if (token != 0)
		resetcoord_port_unregister(port_id, token, RTE_DIM(resetcoord_events));
	return 0;
}

struct resetcoord *
resetcoord_create(const struct resetcoord_conf *conf)
{
	char name[RTE_RING_NAMESIZE];
	struct resetcoord *r;
	unsigned int i;
	int ret;

	if (conf == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	r = rte_zmalloc("resetcoord", sizeof(*r), RTE_CACHE_LINE_SIZE);
	if (r == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->conf = *conf;
	strlcpy(r->name, conf->name != NULL ? conf->name : "resetcoord",
		sizeof(r->name));
	if (r->conf.ack_timeout_ms == 0)
		r->conf.ack_timeout_ms = 100;
	if (r->conf.recovery_timeout_ms == 0)
		r->conf.recovery_timeout_ms = 5000;
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		r->ports[i].port_id = i;
	pthread_mutex_lock(&resetcoord_owners_lock);
	r->token = ++resetcoord_last_token;
	if (!resetcoord_destroy_hooked) {
		ret = rte_eth_dev_callback_register(RTE_ETH_ALL,
				RTE_ETH_EVENT_DESTROY, resetcoord_destroy_cb, NULL);
		resetcoord_destroy_hooked = ret == 0;
	} else {
		ret = 0;
	}
	pthread_mutex_unlock(&resetcoord_owners_lock);
	if (ret != 0) {
		rte_free(r);
		rte_errno = -ret;
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->efd < 0) {
		rte_errno = errno;
		goto error;
	}
	snprintf(name, sizeof(name), "resetcoord_%p", (void *)r);
	/* acks from many lcores, one consumer */
	r->acks = rte_ring_create(name, RESETCOORD_MAX_CLIENTS * 4, SOCKET_ID_ANY,
				  RING_F_SC_DEQ);
	if (r->acks == NULL)
		goto error;
	snprintf(name, sizeof(name), "resetcoorde_%p", (void *)r);
	/* events from any thread, one consumer */
	r->events = rte_ring_create(name, 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (r->events == NULL)
		goto error;
	/* thread names hold 15 characters */
	snprintf(name, sizeof(name), "rcoord-%.8s", r->name);
	ret = mlx4r_thread_create_control(&r->thread, name,
					  resetcoord_control_thread, r);
	if (ret != 0) {
		rte_errno = -ret;
		goto error;
	}
	return r;
error:
	rte_ring_free(r->events);
	rte_ring_free(r->acks);
	if (r->efd >= 0)
		close(r->efd);
	pthread_mutex_destroy(&r->lock);
	rte_free(r);
	return NULL;
}

int
resetcoord_free(struct resetcoord *r)
{
	struct resetcoord_client_priv *d = RTE_PER_LCORE(resetcoord_in_drain);
	bool owned[RTE_MAX_ETHPORTS];
	unsigned int i;

	if (r == NULL)
		return 0;
	if (RTE_PER_LCORE(resetcoord_in_control) == r) {
		/* it would join the thread it runs on */
		RESETCOORD_LOG(ERR, "resetcoord_free() from the instance's notify or restore callback refused");
		rte_errno = EDEADLK;
		return -1;
	}
	if (d != NULL && d->r == r) {
		/* it would free the client whose resetcoord_client_sync() runs */
		RESETCOORD_LOG(ERR, "resetcoord_free() from the drain callback of client %s refused",
			d->name);
		rte_errno = EBUSY;
		return -1;
	}
	/*
	 * Detach from the ports first: a callback running on another thread
	 * holds resetcoord_owners_lock while it uses r, so once this section has
	 * had the lock no callback uses r, and those that come later find
	 * no owner (see resetcoord_owners_lock).
	 */
	pthread_mutex_lock(&resetcoord_owners_lock);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
		owned[i] = resetcoord_owners[i] == r;
		if (owned[i])
			resetcoord_owners[i] = NULL;
	}
	pthread_mutex_unlock(&resetcoord_owners_lock);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
		if (owned[i])
			resetcoord_port_unregister(i, r->token, RTE_DIM(resetcoord_events));
	}
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_mutex_unlock(&r->lock);
	resetcoord_wake(r);
	mlx4r_thread_join(r->thread);
	for (i = 0; i < RESETCOORD_MAX_CLIENTS; i++)
		rte_free(r->clients[i]);
	rte_ring_free(r->events);
	rte_ring_free(r->acks);
	close(r->efd);
	pthread_mutex_destroy(&r->lock);
	rte_free(r);
	return 0;
}

int
resetcoord_port_add(struct resetcoord *r, uint16_t port_id, const struct resetcoord_port_conf *conf)
{
	struct resetcoord_port *p;
	unsigned int i;
	int ret;

	if (r == NULL || conf == NULL || !rte_eth_dev_is_valid_port(port_id)) {
		rte_errno = EINVAL;
		return -1;
	}
	p = &r->ports[port_id];
	/*
	 * r->lock for the whole call: the control thread sees the port
	 * managed only once its callbacks are in place.
	 */
	pthread_mutex_lock(&r->lock);
	if (p->managed) {
		pthread_mutex_unlock(&r->lock);
		rte_errno = EEXIST;
		return -1;
	}
	pthread_mutex_lock(&resetcoord_owners_lock);
	if (resetcoord_owners[port_id] != NULL) {
		/* the other instance's name is safe to read under the lock */
		RESETCOORD_LOG(ERR, "port %u: already managed by instance %s",
			port_id, resetcoord_owners[port_id]->name);
		pthread_mutex_unlock(&resetcoord_owners_lock);
		pthread_mutex_unlock(&r->lock);
		rte_errno = EBUSY;
		return -1;
	}
	resetcoord_owners[port_id] = r;
	pthread_mutex_unlock(&resetcoord_owners_lock);
	p->conf = *conf;
	p->state = RESETCOORD_PORT_LIVE;
	p->phase = RESETCOORD_PHASE_IDLE;
	p->need_outcome = false;
	p->need_reset = false;
	p->need_restore = false;
	memset(&p->stats, 0, sizeof(p->stats));
	/* the queues the application set up: generation 1, as at probe */
	p->generation = 1;
	p->stats.generation = 1;
	for (i = 0; i < RTE_DIM(resetcoord_events); i++) {
		ret = rte_eth_dev_callback_register(port_id, resetcoord_events[i],
				resetcoord_event_cb, (void *)(uintptr_t)r->token);
		if (ret != 0) {
			pthread_mutex_lock(&resetcoord_owners_lock);
			resetcoord_owners[port_id] = NULL;
			pthread_mutex_unlock(&resetcoord_owners_lock);
			resetcoord_port_unregister(port_id, r->token, i);
			pthread_mutex_unlock(&r->lock);
			rte_errno = -ret;
			return -1;
		}
	}
	p->managed = true;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

struct resetcoord_client *
resetcoord_client_register(struct resetcoord *r, const char *name, resetcoord_drain_t drain,
		    void *arg)
{
	struct resetcoord_client_priv *c;
	unsigned int i;

	if (r == NULL || name == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	c = rte_zmalloc("resetcoord_client", sizeof(*c), RTE_CACHE_LINE_SIZE);
	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	strlcpy(c->name, name, sizeof(c->name));
	c->r = r;
	c->drain = drain;
	c->drain_arg = arg;
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < RESETCOORD_MAX_CLIENTS; i++) {
		if (r->clients[i] == NULL)
			break;
	}
	if (i == RESETCOORD_MAX_CLIENTS) {
		pthread_mutex_unlock(&r->lock);
		rte_free(c);
		rte_errno = ENOSPC;
		return NULL;
	}
	c->idx = i;
	r->clients[i] = c;
	pthread_mutex_unlock(&r->lock);
	return &c->pub;
}

int
resetcoord_client_use(struct resetcoord_client *pub, uint16_t port_id, uint16_t rxq,
	       uint16_t txq)
{
	struct resetcoord_client_priv *c = resetcoord_priv(pub);
	struct resetcoord *r;
	struct resetcoord_ops *o;
	int idx;

	if (pub == NULL || port_id >= RTE_MAX_ETHPORTS) {
		rte_errno = EINVAL;
		return -1;
	}
	r = c->r;
	pthread_mutex_lock(&r->lock);
	if (!r->ports[port_id].managed) {
		pthread_mutex_unlock(&r->lock);
		rte_errno = EINVAL;
		return -1;
	}
	if (pub->nb_uses == RESETCOORD_MAX_USES) {
		pthread_mutex_unlock(&r->lock);
		rte_errno = ENOSPC;
		return -1;
	}
	if (r->ports[port_id].phase != RESETCOORD_PHASE_IDLE) {
		pthread_mutex_unlock(&r->lock);
		rte_errno = EBUSY;
		return -1;
	}
	idx = pub->nb_uses;
	o = &pub->ops[idx];
	o->port_id = port_id;
	o->rx_queue = rxq;
	o->tx_queue = txq;
	o->state = r->ports[port_id].state;
	o->generation = r->ports[port_id].generation;
	pub->nb_uses++;
	pthread_mutex_unlock(&r->lock);
	return idx;
}

int
resetcoord_client_unregister(struct resetcoord_client *pub)
{
	struct resetcoord_client_priv *c = resetcoord_priv(pub);
	struct resetcoord *r;

	if (pub == NULL) {
		rte_errno = EINVAL;
		return -1;
	}
	r = c->r;
	if (RTE_PER_LCORE(resetcoord_in_drain) == c) {
		/* its resetcoord_client_sync() runs and goes on with it */
		RESETCOORD_LOG(ERR, "client %s: resetcoord_client_unregister() from its own drain callback refused",
			c->name);
		rte_errno = EBUSY;
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	r->clients[c->idx] = NULL;
	pthread_mutex_unlock(&r->lock);
	rte_free(c);
	return 0;
}

int
resetcoord_client_sync(struct resetcoord_client *pub)
{
	struct resetcoord_client_priv *c = resetcoord_priv(pub);
	uint32_t round;

	if (!resetcoord_client_pending(pub))
		return 0;
	/* the client's lcore only: not its own drain, not the control thread */
	if (RTE_PER_LCORE(resetcoord_in_drain) == c)
		return -EBUSY;
	if (RTE_PER_LCORE(resetcoord_in_control) == c->r)
		return -EPERM;
	/* pending was seen with acquire: the round read here is current */
	round = __atomic_load_n(&c->round, __ATOMIC_RELAXED);
	if (c->acked_round != round) {
		uintptr_t msg = ((uintptr_t)round << 8) | c->idx;

		if (c->drain != NULL) {
			struct resetcoord_client_priv *outer =
				RTE_PER_LCORE(resetcoord_in_drain);

			RTE_PER_LCORE(resetcoord_in_drain) = c;
			c->drain(c->drain_arg);
			RTE_PER_LCORE(resetcoord_in_drain) = outer;
		}
		/*
		 * The ring enqueue publishes (release) everything this lcore
		 * did with the port; the ring has room for every client's
		 * ack, so it cannot fail while rounds are acked one at a
		 * time per client.
		 */
		if (rte_ring_mp_enqueue(c->r->acks, (void *)msg) != 0)
			return -EAGAIN; /* try again on the next call */
		c->acked_round = round;
		resetcoord_wake(c->r);
	}
	/* pairs with the control thread's release store of pending = 0 */
	return resetcoord_client_pending(pub) ? -EAGAIN : 0;
}

int
resetcoord_port_stats_get(struct resetcoord *r, uint16_t port_id, struct resetcoord_port_stats *st)
{
	if (r == NULL || st == NULL || port_id >= RTE_MAX_ETHPORTS) {
		rte_errno = EINVAL;
		return -1;
	}
	/* managed is written by resetcoord_port_add() under the lock */
	pthread_mutex_lock(&r->lock);
	if (!r->ports[port_id].managed) {
		pthread_mutex_unlock(&r->lock);
		rte_errno = EINVAL;
		return -1;
	}
	*st = r->ports[port_id].stats;
	pthread_mutex_unlock(&r->lock);
	return 0;
}
