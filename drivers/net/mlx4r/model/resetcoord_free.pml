/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * lib/resetcoord's teardown against its ethdev callbacks in flight on other
 * threads: resetcoord_free() (lib/resetcoord/resetcoord.c) and resetcoord_event_cb(), over DPDK
 * 22.11's rte_eth_dev_callback_process() (lib/ethdev/ethdev_driver.c:
 * the entry marked active under eth_dev_cb_lock, the callback called
 * without it) and rte_eth_dev_callback_unregister() (lib/ethdev/
 * rte_ethdev.c: an active entry is kept and -EAGAIN reported; with
 * RTE_ETH_ALL, ret is reset for each port id, so only the last port
 * id's -EAGAIN is returned).
 *
 * Two ports, each raising EVENTS events on its own thread (the control
 * thread of a PMD, the EAL interrupt thread), while the application
 * frees the instance. Property: no callback uses the instance after it
 * was freed (the assertion in the callback); no deadlock.
 *
 * Variant (-D):
 *   RESETCOORD_FREE_ALL  the old teardown: the callback's argument is the
 *                 instance itself (no table of owners), resetcoord_free()
 *                 unregisters with RTE_ETH_ALL and frees unless that
 *                 returned -EAGAIN
 */

#ifndef EVENTS
#define EVENTS 3
#endif

bool reg[2] = 1;     /* the entry on each port's callback list */
bool cb_active[2];      /* cb->active */
bool owner[2] = 1;   /* resetcoord_owners[port] == the instance */
bool olock;          /* resetcoord_owners_lock */
bool freed;          /* ghost: rte_free(r) done */

inline lock(l)
{
	atomic { !l -> l = 1 }
}

inline unlock(l)
{
	l = 0
}

/*
 * rte_eth_dev_callback_process() on port p, EVENTS times; the callback
 * is resetcoord_event_cb(), which posts the event (resetcoord_post()) to the instance.
 */
proctype raiser(byte p)
{
	byte n = 0;

	do
	:: n < EVENTS ->
		n++;
		/* under eth_dev_cb_lock: the entry is taken and marked */
		atomic {
			if
			:: reg[p] -> cb_active[p] = 1
			:: else -> goto next
			fi
		};
#ifdef RESETCOORD_FREE_ALL
		/* the instance from the callback's argument */
		assert(!freed);
		assert(!freed);
#else
		/* the instance only under resetcoord_owners_lock, if it owns p */
		lock(olock);
		if
		:: owner[p] -> assert(!freed); assert(!freed)
		:: else -> skip
		fi;
		unlock(olock);
#endif
		cb_active[p] = 0;
next:		skip
	:: else -> break
	od
}

/* resetcoord_free(): detach, unregister, join, free. */
active proctype freer()
{
	byte p;
	bool again;

#ifdef RESETCOORD_FREE_ALL
	/* rte_eth_dev_callback_unregister(RTE_ETH_ALL, ...) */
	do
	:: atomic {
		again = 0;
		p = 0;
		do
		:: p < 2 ->
			again = 0; /* ret = 0 for each port id */
			if
			:: cb_active[p] -> again = 1
			:: else -> reg[p] = 0
			fi;
			p++
		:: else -> break
		od
	   };
		if
		:: again -> skip
		:: else -> break
		fi
	od;
#else
	/* the owners table first: no callback uses r after this */
	lock(olock);
	owner[0] = 0;
	owner[1] = 0;
	unlock(olock);
	/* resetcoord_port_unregister(): per port, again while -EAGAIN */
	p = 0;
	do
	:: p < 2 ->
		do
		:: atomic { !cb_active[p] -> reg[p] = 0; break }
		:: atomic { cb_active[p] -> skip } /* -EAGAIN: sched_yield() */
		od;
		p++
	:: else -> break
	od;
#endif
	freed = 1
}

init
{
	atomic {
		run raiser(0);
		run raiser(1)
	}
}
