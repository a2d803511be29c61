/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_KFACE_H
#define MLX4R_KFACE_H

/*
 * The kernel face of the emulated ConnectX-3: what Linux mlx4_ib shows user
 * space, answered in process by a preloaded library (libmlx4r_kface.so) in
 * front of the device model of drivers/net/mlx4r/emu, through the model's
 * own seam (mlx4r_hw.h). Files:
 *   mlx4r_kface.c      the libc calls it answers (open, close, read,
 *                      write, ioctl, mmap, stat, fstat, socket), the files
 *                      of the device node, configuration, control socket
 *   mlx4r_kface_cmd.c  the uverbs write commands, as
 *                      drivers/infiniband/core/uverbs_cmd.c and
 *                      drivers/infiniband/hw/mlx4 check and answer them
 *   mlx4r_kface_dev.c  the device thread: the doorbells the model cannot
 *                      see, the netdevs' state
 *   mlx4r_kface_comp.c completion channels (Rx interrupts)
 *   mlx4r_kface_vf.c   what the PF refuses from a VF (SR-IOV)
 *
 * Every libc call of the library itself goes to libc's own symbol (kf_real),
 * never through its own interposers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>
#include <sys/stat.h>

#include "mlx4r_hw.h"
#include "mlx4r_emu.h"

/* The character device of uverbs0: major 231, minor 192 (IB_UVERBS_BASE_MINOR). */
#define KF_CDEV_MAJOR 231
#define KF_CDEV_MINOR 192
#define KF_DEV_NODE "/dev/infiniband/uverbs0"
#define KF_DEV_DIR "/dev/infiniband"
#define KF_MAX_OBJ 4096           /* uverbs handles per file */

/* Kinds of uverbs object a handle names. */
enum kf_obj_kind {
	KF_OBJ_FREE, KF_OBJ_PD, KF_OBJ_MR, KF_OBJ_CQ, KF_OBJ_QP, KF_OBJ_WQ,
	KF_OBJ_IND, KF_OBJ_FLOW,
};

/* An object of a file, by uverbs handle. */
struct kf_obj {
	enum kf_obj_kind kind;
	uint64_t user_handle;      /* given at create (CQ, QP, WQ) */
	void *hw;                  /* the seam's handle */
	/*
	 * Async events read naming it (uverbs' uobject events_reported,
	 * Linux 6.1 uverbs_main.c ib_uverbs_async_handler()): the destroy
	 * answers it, and libibverbs waits for as many acknowledgements
	 * before it returns (cmd_qp.c ibv_cmd_destroy_qp & co).
	 */
	uint32_t events_reported;
};

/* A file of the device node (one per open()), and its context. */
struct kf_file {
	int fd;                    /* the descriptor open() returned */
	int async_fd;              /* the async event file, -1 before it */
	struct mlx4r_hw_ctx *ctx;  /* after GET_CONTEXT */
	pthread_mutex_t lock;      /* commands of this file */
	struct kf_obj obj[KF_MAX_OBJ];
	uint32_t next_handle;      /* allocation cursor */
	bool cmd_closed;           /* close() of fd done; freed when the
				    * async file is closed too */
};

/* Configuration (environment of the wrapper, devtools/with-emu-cx3.sh). */
struct kf_conf {
	char dev_name[64];         /* model device name, "mlx4_0" */
	uint8_t nb_ports;          /* 1 or 2 */
	char wire[16];             /* gen, xconnect, loopback, none */
	uint16_t gen_flows;        /* flows of the generator (wire gen) */
	uint16_t gen_dport;        /* its UDP destination port (0: 5000) */
	bool pro;                  /* --part 4103: a ConnectX-3 Pro */
	bool vf;                   /* --part 4100: a ConnectX-3 VF */
	char ifname[2][16];        /* the ports' TAP interfaces ("" none) */
	struct rte_ether_addr mac[2]; /* the ports' MAC addresses */
	char dir[256];             /* private directory: sysfs, control */
};

extern struct kf_conf kf_conf;

/* Real libc calls. */
struct kf_real_calls {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	int (*ioctl)(int, unsigned long, ...);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*stat)(const char *, struct stat *);
	int (*fstat)(int, struct stat *);
	int (*socket)(int, int, int);
};
extern struct kf_real_calls kf_real;

/* mlx4r_kface.c */
int kf_init(void);
struct kf_file *kf_file_of_async(int fd);

/* mlx4r_kface_dev.c: the device thread */
int kf_dev_start(void);
/*
 * Stop the device thread for good and join it (rte_eal_cleanup(), exit());
 * no start after it. Idempotent; a second caller waits for the first.
 */
void kf_dev_stop(void);
/* "running", "stopped" or "never started" (the exit report). */
const char *kf_dev_thread_state(void);
/* Watch a Tx QP (qp) or a receive WQ (wq) from now on. */
void kf_dev_track(struct mlx4r_hw_qp *qp, struct mlx4r_hw_wq *wq);
/* Stop watching it; no engine runs on it when this returns. */
void kf_dev_untrack(void *hw);
/* The device is unregistered (catastrophic error): its node is gone. */
bool kf_dev_gone(void);
/* Hold the device thread off the queues (around a state change). */
void kf_dev_lock(void);
void kf_dev_unlock(void);

/*
 * mlx4r_kface_netdev.c: an ioctl() of the ports' netdevs that mlx4_en
 * answers itself (ethtool pause and link settings, the MTU's bounds).
 * @return 1 if answered (*ret: 0 or a negative errno), 0 to pass it on.
 */
int kf_netdev_ioctl(unsigned long req, void *arg, int *ret);

/* mlx4r_kface_cmd.c */
/* The model's device (after kf_init()), or NULL. */
struct mlx4r_emu_dev *kf_model(void);
/*
 * Execute one write() of a uverbs command on @p f.
 * @return the bytes consumed (count) or a negative errno.
 */
ssize_t kf_cmd_write(struct kf_file *f, const void *buf, size_t count);
/* Release what a file holds (its close()). */
void kf_cmd_release(struct kf_file *f);
/* close() of the async file of @p f. */
void kf_cmd_async_closed(struct kf_file *f);
/*
 * read() of the async event file of @p f: ib_uverbs_async_event_desc
 * entries. @return bytes or a negative errno.
 */
ssize_t kf_async_read(struct kf_file *f, void *buf, size_t count,
		      bool nonblock);

/* mlx4r_kface_comp.c: completion channels */
int kf_comp_create(struct kf_file *f, int *fd);
/* CREATE_CQ on channel @p fd: -EBADF if it is not one of @p f's. */
int kf_comp_cq_create(struct kf_file *f, int fd, uint32_t cqe,
		      uint64_t user_handle, struct mlx4r_hw_cq **out);
/* DESTROY_CQ of a CQ: 1 if not on a channel (nothing done). */
int kf_comp_cq_destroy(struct mlx4r_hw_cq *cq, uint32_t *reported);
void kf_comp_release(struct kf_file *f);
/* Is @p fd a completion channel of @p f? */
bool kf_comp_check(struct kf_file *f, int fd);
bool kf_comp_is(int fd);
void kf_comp_close(int fd);
ssize_t kf_comp_read(int fd, void *buf, size_t count, bool nonblock);

/* mlx4r_kface_vf.c: a VF (--part 4100) */
struct ibv_flow_attr;
bool kf_vf(void);
/*
 * A steering rule of a VF, as the PF's resource tracker takes it: 0 (the
 * rule as the PF executes it: @p attr, its specs in a buffer of @p cap
 * bytes, may have gained an Ethernet spec in front) or -EINVAL.
 */
int kf_vf_flow_check(struct ibv_flow_attr *attr, size_t cap);

#endif /* MLX4R_KFACE_H */
