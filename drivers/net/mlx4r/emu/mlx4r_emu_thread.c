/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The emulated device's engine on a thread of its own
 * (mlx4r_emu_dev_conf.engine_thread, the driver's devarg engine=thread).
 *
 * By default the model runs at the bursts' hooks, on the lcore that
 * bursts (mlx4r_hw.h struct mlx4r_hw_hook): deterministic, and the lcore
 * pays for the device's work. A card works beside the CPU instead: it
 * takes the send doorbell and walks the WQEs while the lcore goes on, and
 * it fills receive buffers whenever frames come. Here one thread per
 * device plays that part for every queue of the device: the queues'
 * hooks are NULL, as on hardware, so a driver sees exactly what a card
 * would show it (completions arriving at any moment between its loads,
 * a WQE posted without a doorbell left alone), and the lcore pays only
 * for the driver.
 *
 * The thread turns over a table of queues: a send QP's turn is
 * emu_tx_engine() (the doorbell, then at most EMU_TX_TURN blocks), a
 * receive WQ's is what its hook does (emu_rx_hook(): the port's wire into
 * the posted WQEs). With nothing to do for EMU_ENGINE_IDLE_NS, it naps,
 * 50 us doubling to 1 ms, so that an idle device costs little; the first
 * doorbell after a lull may wait that long.
 *
 * Quiescence (the other side of every turn is emu_engine_del(), on the
 * thread that destroys a queue, under dev->lock): a turn makes the turn
 * counter odd, then loads the slots; emu_engine_del() clears the slot,
 * then loads the counter. Both put a sequentially consistent fence
 * between their store and their load (the store-load order that neither
 * acquire nor release gives), so one of them sees the other's store:
 * either the turn sees the slot empty, or emu_engine_del() sees the turn
 * running and waits for the counter to move on. The turn's end is a
 * release store, read with acquire: every access of the turn to the
 * queue happens before the caller frees it. The turn never takes
 * dev->lock, and the locks it does take (a QP's lock, a port's rx_lock)
 * are never held by a thread that waits for it, so the wait under
 * dev->lock cannot deadlock; it is bounded by one turn (at most 64 blocks
 * per send queue and a pump per receive queue). The same technique
 * as the driver's lcores and their in_burst markers (mlx4r_quiesce.c),
 * with one reader to wait for.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_pause.h>

#include "mlx4r_emu_priv.h"

/* Queues one device's thread serves (both ports, every incarnation). */
#define EMU_ENGINE_SLOTS 1024u
/* Time without work before the thread naps. */
#define EMU_ENGINE_IDLE_NS 2000000u

struct emu_engine {
	struct emu_dev *dev;
	pthread_t tid;
	bool stop;              /* atomic: release by emu_engine_stop() */
	uint64_t turn;          /* atomic: odd while a turn runs */
	uint32_t hi;            /* atomic: the slots in use are below it */
	struct emu_engine_slot {
		struct emu_qp *qp; /* atomic: a send QP, or */
		struct emu_wq *wq; /* atomic: a receive WQ */
	} slot[EMU_ENGINE_SLOTS];
};

static bool
emu_engine_turn(struct emu_engine *eng)
{
	bool work = false;
	uint32_t i, hi;
	uint64_t before;

	/*
	 * Odd, then the fence: the slots' loads below cannot be ordered
	 * before the store (see top). emu_engine_del() is the other side.
	 */
	__atomic_store_n(&eng->turn, eng->turn + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	hi = __atomic_load_n(&eng->hi, __ATOMIC_ACQUIRE);
	for (i = 0; i < hi; i++) {
		/* acquire: the queue's fields, set before emu_engine_add() */
		struct emu_qp *qp = __atomic_load_n(&eng->slot[i].qp,
						     __ATOMIC_ACQUIRE);
		struct emu_wq *wq = __atomic_load_n(&eng->slot[i].wq,
						     __ATOMIC_ACQUIRE);

		if (qp != NULL) {
			work |= emu_tx_engine(qp);
		} else if (wq != NULL) {
			before = emu_wq_port_rx_frames(wq);
			emu_rx_hook(wq);
			work |= emu_wq_port_rx_frames(wq) != before;
		}
	}
	/* even: release, so that emu_engine_del()'s acquire orders the free */
	__atomic_store_n(&eng->turn, eng->turn + 1, __ATOMIC_RELEASE);
	return work;
}

static uint64_t
emu_engine_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *
emu_engine_main(void *arg)
{
	struct emu_engine *eng = arg;
	uint64_t idle_since = 0;
	struct timespec ts;
	uint32_t idle = 0, naps = 0;

	/* acquire: pairs with emu_engine_stop_locked()'s release */
	while (!__atomic_load_n(&eng->stop, __ATOMIC_ACQUIRE)) {
		/* link timers: device-wide, outside the turn (no queue) */
		emu_dev_run_timers(eng->dev);
		if (emu_engine_turn(eng)) {
			idle = 0;
			naps = 0;
			continue;
		}
		/*
		 * Idle: spin for EMU_ENGINE_IDLE_NS, then nap, 50 us doubling
		 * to 1 ms. Counted in time, not turns: an empty turn takes
		 * nanoseconds, so a count of them would nap in a lull of a
		 * few microseconds of the forwarding lcore, and a nap costs
		 * 50 us or more of receive ring.
		 */
		if (idle++ == 0)
			idle_since = emu_engine_now_ns();
		if (idle % 64 != 0 ||
		    emu_engine_now_ns() - idle_since < EMU_ENGINE_IDLE_NS) {
			rte_pause();
			continue;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = RTE_MIN(50000L << RTE_MIN(naps, 5u), 1000000L);
		naps++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/*
 * Start @p eng's thread, on dev->conf.engine_cpu when it is set.
 * @return 0, -EINVAL (the process may not run on that CPU: its cgroup's
 * cpuset, or a CPU gone offline since the probe), or -EAGAIN.
 */
static int
emu_engine_start(struct emu_dev *dev, struct emu_engine *eng)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	if (!dev->conf.engine_cpu_set)
		return pthread_create(&eng->tid, NULL, emu_engine_main, eng) ?
		       -EAGAIN : 0;
	if (dev->conf.engine_cpu >= CPU_SETSIZE) {
		ret = EINVAL; /* not a CPU a cpu_set_t can name */
	} else {
		CPU_ZERO(&set);
		CPU_SET(dev->conf.engine_cpu, &set);
		if (pthread_attr_init(&attr) != 0)
			return -EAGAIN;
		ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (ret == 0)
			ret = pthread_create(&eng->tid, &attr, emu_engine_main,
					     eng);
		pthread_attr_destroy(&attr);
	}
	if (ret == EINVAL) {
		/* glibc: sched_setaffinity in the new thread refused it */
		EMU_LOG(ERR, "%s: engine_cpu=%u: this process may not run on CPU %u: the engine thread is not started",
			dev->name, dev->conf.engine_cpu, dev->conf.engine_cpu);
		return -EINVAL;
	}
	return ret != 0 ? -EAGAIN : 0;
}

/* dev->lock held: the thread of @p dev, started if it is not. */
static int
emu_engine_get_locked(struct emu_dev *dev, struct emu_engine **out)
{
	struct emu_engine *eng = dev->engine;
	int ret;

	if (eng == NULL) {
		if (dev->intr_off)
			return -ENODEV; /* the process is going */
		eng = calloc(1, sizeof(*eng));
		if (eng == NULL)
			return -ENOMEM;
		eng->dev = dev;
		/*
		 * Created from the thread that creates the first queue (the
		 * EAL's main thread or a control thread, in DPDK): it runs
		 * where that thread may run, not on the forwarding lcores,
		 * unless engine_cpu pins it (devarg engine_cpu). The pin is
		 * set before it starts, so none of its turns runs elsewhere.
		 */
		ret = emu_engine_start(dev, eng);
		if (ret != 0) {
			free(eng);
			return ret;
		}
		pthread_setname_np(eng->tid, "mlx4r-emu-eng");
		dev->engine = eng;
	}
	*out = eng;
	return 0;
}

static int
emu_engine_add(struct emu_dev *dev, struct emu_qp *qp, struct emu_wq *wq,
	       uint32_t *slot)
{
	struct emu_engine *eng;
	uint32_t i;
	int ret;

	ret = emu_engine_get_locked(dev, &eng);
	if (ret != 0)
		return ret;
	/* dev->lock orders the writers; the thread only reads */
	for (i = 0; i < EMU_ENGINE_SLOTS; i++)
		if (eng->slot[i].qp == NULL && eng->slot[i].wq == NULL)
			break;
	if (i == EMU_ENGINE_SLOTS)
		return -ENOSPC;
	/* release: the queue's fields before its pointer (the turn's acquire) */
	if (qp != NULL)
		__atomic_store_n(&eng->slot[i].qp, qp, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&eng->slot[i].wq, wq, __ATOMIC_RELEASE);
	if (i >= eng->hi)
		__atomic_store_n(&eng->hi, i + 1, __ATOMIC_RELEASE);
	*slot = i + 1;
	return 0;
}

int
emu_engine_add_qp(struct emu_dev *dev, struct emu_qp *qp)
{
	return emu_engine_add(dev, qp, NULL, &qp->eng_slot);
}

int
emu_engine_add_wq(struct emu_dev *dev, struct emu_wq *wq)
{
	return emu_engine_add(dev, NULL, wq, &wq->eng_slot);
}

void
emu_engine_del(struct emu_dev *dev, uint32_t slot)
{
	struct emu_engine *eng = dev->engine;
	uint64_t t;

	/* never given, or the thread is already stopped and joined */
	if (slot == 0 || eng == NULL)
		return;
	slot--;
	__atomic_store_n(&eng->slot[slot].qp, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&eng->slot[slot].wq, NULL, __ATOMIC_RELAXED);
	/* the other side of the turn's fence (see top) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t = __atomic_load_n(&eng->turn, __ATOMIC_ACQUIRE);
	if (t & 1)
		while (__atomic_load_n(&eng->turn, __ATOMIC_ACQUIRE) == t)
			rte_pause();
	/* the top slots that are empty now: the turn stops short of them */
	while (eng->hi > 0 && eng->slot[eng->hi - 1].qp == NULL &&
	       eng->slot[eng->hi - 1].wq == NULL)
		__atomic_store_n(&eng->hi, eng->hi - 1, __ATOMIC_RELEASE);
}

void
emu_engine_stop_locked(struct emu_dev *dev)
{
	struct emu_engine *eng = dev->engine;

	if (eng == NULL)
		return;
	/*
	 * Joined with dev->lock held, which the thread never takes: a
	 * queue destroyed after this finds no thread to wait for
	 * (emu_engine_del()), and none is left that could touch it.
	 * release: pairs with the thread's acquire; the join orders the rest.
	 */
	__atomic_store_n(&eng->stop, true, __ATOMIC_RELEASE);
	pthread_join(eng->tid, NULL);
	dev->engine = NULL;
	free(eng);
}
