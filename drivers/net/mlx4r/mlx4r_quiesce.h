/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_QUIESCE_H
#define MLX4R_QUIESCE_H

/*
 * Quiescence of a port's queues (mlx4r_quiesce.c): bar, process-wide
 * fence, drain wait, unbar, on the driver's list of the port's queues.
 * Callers hold the control lock.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mlx4r.h"

/*
 * Primary: the in_burst tag of the secondary @p pid (its start time, as
 * mlx4r_proc_start_time() reads it, and mlx4r_pidns_id() of its PID
 * namespace, both as it sent them), the same for every port it asks for:
 * a marker of that tag stops counting once the process exited (file
 * comment of mlx4r_quiesce.c). MLX4R_TAG_UNTRACKED when it cannot be
 * named (another PID namespace, no pidfd_open(), tags used up).
 */
uint8_t mlx4r_quiesce_tag_secondary(pid_t pid, uint64_t start, uint64_t pidns);
/* Start time of process @p pid (/proc/<pid>/stat field 22), 0 if none. */
uint64_t mlx4r_proc_start_time(pid_t pid);
/* This process's PID namespace (inode of /proc/self/ns/pid), 0 if none. */
uint64_t mlx4r_pidns_id(void);
/* Register with membarrier (once per process; first probe). */
void mlx4r_quiesce_init(void);
/* Order every store of the caller before every later load of any thread. */
void mlx4r_process_fence(void);
/*
 * @p set: a secondary forwards from now on, the fence reaches its threads
 * too. @return whether one does.
 */
bool mlx4r_quiesce_global(bool set);
/* Secondary: registered for the primary's fence. @return 0, -ENOTSUP. */
int mlx4r_quiesce_register_secondary(void);
/* Bar every queue of the port: bursts refuse from the next fence on. */
void mlx4r_port_bar(struct mlx4r_port *port);
/*
 * Is no burst inside a queue of the (barred, fenced) port? One look; if
 * one is, *dir ("Rx"/"Tx") and *q name a queue it is inside.
 */
bool mlx4r_port_quiescent(struct mlx4r_port *port, const char **dir,
			  uint16_t *q);
/* The grace period that stands in for membarrier where it is missing. */
void mlx4r_quiesce_grace(void);
/*
 * Wait until no burst is inside a queue of the (barred, fenced) port.
 * @return 0, -ETIMEDOUT past @p deadline_ns (monotonic), -EINTR when
 * *closing became true.
 */
int mlx4r_port_drain_wait(struct mlx4r_port *port, uint64_t deadline_ns,
			  bool *closing);
/* Bar one queue being released and wait until no burst is inside it. */
void mlx4r_queue_retire(uint8_t *barred, uint8_t *in_burst);
/*
 * Bar one queue of a running port and prove it quiescent (its repair,
 * mlx4r_repair.c): the port's other queues keep running.
 * @return 0, -ETIMEDOUT past @p deadline_ns, -EINTR when *closing.
 */
int mlx4r_queue_quiesce(uint8_t *barred, uint8_t *in_burst,
			uint64_t deadline_ns, bool *closing);
/* Unbar one (repaired) queue: fence, then barred = 0. */
void mlx4r_queue_unbar(uint8_t *barred);
/* Unbar the port's (rebuilt) queues: fence, then barred = 0. */
void mlx4r_port_unbar(struct mlx4r_port *port);
/* The same for the started ones of n ports of an HCA, with one fence. */
void mlx4r_ports_unbar(struct mlx4r_port *const *ports, unsigned int n);

#endif /* MLX4R_QUIESCE_H */
