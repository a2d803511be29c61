/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * libmlx4r_kface.so: the emulated ConnectX-3 behind the user-space
 * interface of Linux mlx4_ib, for any rdma-core program, preloaded
 * (LD_PRELOAD) by devtools/with-emu-cx3.sh, which also writes the sysfs
 * tree libibverbs (SYSFS_PATH) and DPDK's PCI bus (SYSFS_PCI_DEVICES) read.
 *
 * It answers:
 *  - socket(AF_NETLINK, *, NETLINK_RDMA): EPROTONOSUPPORT, as a kernel
 *    without RDMA netlink; libibverbs then finds devices in sysfs
 *    (rdma-core libibverbs/init.c ibverbs_get_device_list(): netlink
 *    first, find_sysfs_devs() when it fails);
 *  - stat() of /dev/infiniband/uverbs0 (init.c try_access_device()) and
 *    fstat() of its files (util/open_cdev.c open_cdev_internal(): a
 *    character device whose st_rdev is the sysfs "dev" number);
 *  - open(), write() (the legacy uverbs commands: ioctl() answers ENOTTY,
 *    so libibverbs falls back to write, cmd_fallback.c
 *    _execute_ioctl_fallback()), mmap() of the UAR and BlueFlame pages
 *    (libmlx4 mlx4.c mlx4_alloc_context(): offsets 0 and one page,
 *    Linux mlx4_ib main.c mlx4_ib_mmap()), close();
 *  - read() of the async event file GET_CONTEXT made (uverbs_main.c
 *    ib_uverbs_event_read()); poll() works on it as it is (an epoll fd
 *    of the model's context);
 *  - ioctl() of the ports' netdevs that mlx4_en answers itself: ethtool
 *    pause parameters and link settings, the MTU's bounds
 *    (mlx4r_kface_netdev.c).
 * Everything else goes to libc. Without MLX4R_KFACE_DIR in the
 * environment the library answers nothing.
 *
 * It also interposes rte_eal_cleanup(), to stop the device thread before
 * the EAL takes away what it uses (mlx4r_kface_dev.c kf_dev_stop()).
 */

/* this file defines open, open64, stat, stat64, ...: no redirection */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <rdma/rdma_user_ioctl_cmds.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "mlx4r_kface.h"

#ifndef NETLINK_RDMA
#define NETLINK_RDMA 20
#endif

#define KF_MAX_FD 4096

struct kf_conf kf_conf;
struct kf_real_calls kf_real;

static bool kf_enabled;
static pthread_mutex_t kf_fd_lock = PTHREAD_MUTEX_INITIALIZER;
/* Files by descriptor; async descriptors point at their command file. */
static struct kf_file *kf_files[KF_MAX_FD];
static struct kf_file *kf_async[KF_MAX_FD];

static void
kf_copy_env(char *dst, size_t size, const char *name, const char *def)
{
	const char *v = getenv(name);

	snprintf(dst, size, "%s", v != NULL && v[0] != '\0' ? v : def);
}

/*
 * libc's own calls. Resolved at the first interposed call too: the
 * constructors of the libraries this one needs (DPDK's) run before its own
 * and may already open files.
 */
static void
kf_resolve(void)
{
	if (__atomic_load_n(&kf_real.socket, __ATOMIC_ACQUIRE) != NULL)
		return;
	kf_real.open = dlsym(RTLD_NEXT, "open");
	kf_real.openat = dlsym(RTLD_NEXT, "openat");
	kf_real.close = dlsym(RTLD_NEXT, "close");
	kf_real.read = dlsym(RTLD_NEXT, "read");
	kf_real.write = dlsym(RTLD_NEXT, "write");
	kf_real.ioctl = dlsym(RTLD_NEXT, "ioctl");
	kf_real.mmap = dlsym(RTLD_NEXT, "mmap");
	kf_real.stat = dlsym(RTLD_NEXT, "stat");
	kf_real.fstat = dlsym(RTLD_NEXT, "fstat");
	/* release: the others are set when this one is seen set */
	__atomic_store_n(&kf_real.socket,
			 (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket"),
			 __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void
kf_constructor(void)
{
	const char *dir = getenv("MLX4R_KFACE_DIR");
	char ifnames[64];
	char *comma;
	uint8_t p;

	kf_resolve();
	if (dir == NULL || dir[0] == '\0')
		return;
	snprintf(kf_conf.dir, sizeof(kf_conf.dir), "%s", dir);
	kf_copy_env(kf_conf.dev_name, sizeof(kf_conf.dev_name),
		    "MLX4R_KFACE_IBDEV", "mlx4_0");
	kf_copy_env(kf_conf.wire, sizeof(kf_conf.wire),
		    "MLX4R_KFACE_WIRE", "gen");
	if (getenv("MLX4R_KFACE_GEN_FLOWS") != NULL)
		kf_conf.gen_flows = (uint16_t)atoi(getenv("MLX4R_KFACE_GEN_FLOWS"));
	if (getenv("MLX4R_KFACE_GEN_DPORT") != NULL)
		kf_conf.gen_dport = (uint16_t)atoi(getenv("MLX4R_KFACE_GEN_DPORT"));
	kf_conf.pro = getenv("MLX4R_KFACE_PART") != NULL &&
		      strcmp(getenv("MLX4R_KFACE_PART"), "4103") == 0;
	kf_conf.vf = getenv("MLX4R_KFACE_PART") != NULL &&
		     strcmp(getenv("MLX4R_KFACE_PART"), "4100") == 0;
	kf_conf.nb_ports = getenv("MLX4R_KFACE_PORTS") != NULL &&
			   strcmp(getenv("MLX4R_KFACE_PORTS"), "1") == 0 ? 1 : 2;
	kf_copy_env(ifnames, sizeof(ifnames), "MLX4R_KFACE_IFNAMES", "");
	comma = strchr(ifnames, ',');
	if (comma != NULL) {
		*comma = '\0';
		snprintf(kf_conf.ifname[1], sizeof(kf_conf.ifname[1]), "%.15s",
			 comma + 1);
	}
	snprintf(kf_conf.ifname[0], sizeof(kf_conf.ifname[0]), "%.15s",
		 ifnames);
	/* the wrapper's MAC addresses: 00:02:c9:00:00:<port> (Mellanox OUI) */
	for (p = 0; p < 2; p++) {
		struct rte_ether_addr m = {
			.addr_bytes = { 0x00, 0x02, 0xc9, 0x00, 0x00, p + 1 },
		};

		kf_conf.mac[p] = m;
	}
	kf_enabled = true;
}

/*
 * MLX4R_KFACE_EXIT_REPORT=1: at exit (this library's destructor, after
 * main() returned or exit() was called, so after rte_eal_cleanup() in a
 * DPDK program), one line on stderr with what is still open on the
 * device: the files of the node and their objects (the uverbs handles the
 * kernel would destroy at the last close, uverbs_main.c
 * ib_uverbs_cleanup_ufile()), and the model's own count of contexts,
 * objects, MRs and pinned bytes. A program that closed its device leaves
 * all of them 0; "destroyed at close" counts the objects a context still
 * held when it was closed (the kernel's cleanup of a forgotten object).
 * The integration cases (app/test/integration/kface.py) read it.
 */
static void
kf_exit_report(void)
{
	static const char *const kind[] = {
		[KF_OBJ_PD] = "pd", [KF_OBJ_MR] = "mr", [KF_OBJ_CQ] = "cq",
		[KF_OBJ_QP] = "qp", [KF_OBJ_WQ] = "wq", [KF_OBJ_IND] = "ind",
		[KF_OBJ_FLOW] = "flow",
	};
	unsigned int per_kind[KF_OBJ_FLOW + 1] = { 0 };
	unsigned int files = 0, async = 0, objs = 0, k;
	struct mlx4r_emu_dev_info info;
	struct mlx4r_emu_dev *dev;
	char kinds[128];
	size_t off = 0;
	int fd, h;

	/*
	 * Other threads of the process may still run (exit() does not stop
	 * them): open() and close() change kf_files[] under kf_fd_lock,
	 * held here, so no file is freed under this walk (the release stores
	 * of kf_open_node() pair with these acquire loads); a command in
	 * flight on a file holds its lock, taken here to count its handles.
	 * kf_async[] is counted as it is (an async close racing the report
	 * may or may not be counted: the report is read after the process
	 * ended, when nothing races it any more but the exit itself).
	 */
	pthread_mutex_lock(&kf_fd_lock);
	for (fd = 0; fd < KF_MAX_FD; fd++) {
		struct kf_file *f = __atomic_load_n(&kf_files[fd],
						    __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&kf_async[fd], __ATOMIC_ACQUIRE) != NULL)
			async++;
		if (f == NULL)
			continue;
		files++;
		pthread_mutex_lock(&f->lock);
		for (h = 1; h < KF_MAX_OBJ; h++) {
			if (f->obj[h].kind == KF_OBJ_FREE)
				continue;
			objs++;
			if ((unsigned int)f->obj[h].kind < RTE_DIM(per_kind))
				per_kind[f->obj[h].kind]++;
		}
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&kf_fd_lock);
	kinds[0] = '\0';
	for (k = KF_OBJ_PD; k < RTE_DIM(per_kind) && off < sizeof(kinds); k++)
		if (per_kind[k] != 0)
			off += (size_t)snprintf(kinds + off, sizeof(kinds) - off,
						" %s %u", kind[k], per_kind[k]);
	dev = kf_model();
	if (dev == NULL || mlx4r_emu_dev_info(dev, &info) != 0) {
		/* never opened here (the wrapper's own tools): no line */
		if (files + async + objs != 0)
			fprintf(stderr, "mlx4r kface: at exit: %u files, %u async files, %u objects%s, no device\n",
				files, async, objs, kinds);
		return;
	}
	fprintf(stderr, "mlx4r kface: at exit: %u files, %u async files, %u objects%s; device: %u contexts, %u objects, %u MRs, %" PRIu64 " bytes pinned, %" PRIu64 " objects destroyed at close, incarnation %u; device thread: %s\n",
		files, async, objs, kinds, info.nb_contexts, info.nb_objects,
		info.nb_mrs, info.pinned_bytes, info.objects_leaked,
		info.incarnation, kf_dev_thread_state());
}

__attribute__((destructor)) static void
kf_destructor(void)
{
	const char *v = getenv("MLX4R_KFACE_EXIT_REPORT");

	if (kf_enabled && v != NULL && strcmp(v, "1") == 0)
		kf_exit_report();
}

/*
 * rte_eal_cleanup() of a DPDK program (its call binds to this library,
 * preloaded, before librte_eal's): the device thread stops and is joined
 * first (kf_dev_stop()), then the EAL's own cleanup runs. A program that
 * never calls it is covered by the atexit() handler of kf_dev_start().
 */
int
rte_eal_cleanup(void)
{
	int (*real)(void);

	kf_dev_stop();
	real = (int (*)(void))dlsym(RTLD_NEXT, "rte_eal_cleanup");
	if (real == NULL) {
		rte_errno = ENOSYS;
		return -1;
	}
	return real();
}

static bool
kf_is_node(const char *path)
{
	return kf_enabled && path != NULL && strcmp(path, KF_DEV_NODE) == 0;
}

static struct kf_file *
kf_file_of(int fd)
{
	struct kf_file *f;

	if (!kf_enabled || fd < 0 || fd >= KF_MAX_FD)
		return NULL;
	/* acquire: pairs with the release store of kf_open_node() */
	f = __atomic_load_n(&kf_files[fd], __ATOMIC_ACQUIRE);
	return f;
}

struct kf_file *
kf_file_of_async(int fd)
{
	if (!kf_enabled || fd < 0 || fd >= KF_MAX_FD)
		return NULL;
	return __atomic_load_n(&kf_async[fd], __ATOMIC_ACQUIRE);
}

/* Called by the command layer when GET_CONTEXT made the async file. */
void kf_async_register(struct kf_file *f, int fd);
void
kf_async_register(struct kf_file *f, int fd)
{
	if (fd >= 0 && fd < KF_MAX_FD)
		__atomic_store_n(&kf_async[fd], f, __ATOMIC_RELEASE);
}

static void
kf_fake_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR | 0666;
	st->st_rdev = makedev(KF_CDEV_MAJOR, KF_CDEV_MINOR);
	st->st_nlink = 1;
	st->st_blksize = 4096;
}

static int
kf_open_node(int flags)
{
	struct kf_file *f;
	int fd, ret;

	ret = kf_init();
	if (ret != 0) {
		errno = -ret;
		return -1;
	}
	/* unregistered after a catastrophic error: no node (udev removed it) */
	if (kf_dev_gone()) {
		errno = ENOENT;
		return -1;
	}
	if ((flags & O_ACCMODE) != O_RDWR) {
		/* libibverbs opens O_RDWR: mmap() of the UAR needs it */
		errno = EACCES;
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		errno = ENOMEM;
		return -1;
	}
	fd = memfd_create("uverbs0", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0 || fd >= KF_MAX_FD) {
		ret = fd < 0 ? errno : EMFILE;
		if (fd >= 0)
			kf_real.close(fd);
		free(f);
		errno = ret;
		return -1;
	}
	/*
	 * The file's pages are the context's UAR and BlueFlame pages (see
	 * mmap() below): one page each, the same memory in every process
	 * that maps them, as the UAR of a ucontext is one page of the card
	 * for every mapping of its file (Linux mlx4_ib main.c
	 * mlx4_ib_mmap(): io_remap_pfn_range() of to_mucontext()->uar.pfn).
	 * A process that received the file (SCM_RIGHTS: upstream net_mlx4's
	 * secondaries, mlx4_mp.c MLX4_MP_REQ_VERBS_CMD_FD) maps it with
	 * libc's mmap(), the file being unknown to its kernel face.
	 */
	if (ftruncate(fd, 2 * sysconf(_SC_PAGESIZE)) != 0) {
		ret = errno;
		kf_real.close(fd);
		free(f);
		errno = ret;
		return -1;
	}
	f->fd = fd;
	f->async_fd = -1;
	f->next_handle = 1;
	pthread_mutex_init(&f->lock, NULL);
	pthread_mutex_lock(&kf_fd_lock);
	/* release: the file is initialised before its fd finds it */
	__atomic_store_n(&kf_files[fd], f, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&kf_fd_lock);
	return fd;
}

/*
 * Interposed libc calls.
 */

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	kf_resolve();

	if (kf_is_node(path))
		return kf_open_node(flags);
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return kf_real.open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return open(path, flags | O_LARGEFILE, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	kf_resolve();

	if (kf_is_node(path))
		return kf_open_node(flags);
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return kf_real.openat(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return openat(dirfd, path, flags | O_LARGEFILE, mode);
}

int
close(int fd)
{
	struct kf_file *f = kf_file_of(fd);

	kf_resolve();

	if (f != NULL) {
		pthread_mutex_lock(&kf_fd_lock);
		__atomic_store_n(&kf_files[fd], NULL, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&kf_fd_lock);
		/* the context goes with its command file (uverbs_main.c
		 * ib_uverbs_close() -> ib_uverbs_cleanup_ufile()) */
		kf_cmd_release(f);
		return kf_real.close(fd);
	}
	f = kf_file_of_async(fd);
	if (f != NULL) {
		__atomic_store_n(&kf_async[fd], NULL, __ATOMIC_RELAXED);
		kf_cmd_async_closed(f);
	}
	if (kf_enabled && kf_comp_is(fd))
		kf_comp_close(fd);
	return kf_real.close(fd);
}

ssize_t
read(int fd, void *buf, size_t count)
{
	struct kf_file *f;
	ssize_t ret;

	kf_resolve();

	f = kf_file_of_async(fd);
	if (f != NULL) {
		ret = kf_async_read(f, buf, count,
				    fcntl(fd, F_GETFL) & O_NONBLOCK);
		if (ret < 0) {
			errno = (int)-ret;
			return -1;
		}
		return ret;
	}
	if (kf_enabled && kf_comp_is(fd)) {
		ret = kf_comp_read(fd, buf, count,
				   fcntl(fd, F_GETFL) & O_NONBLOCK);
		if (ret < 0) {
			errno = (int)-ret;
			return -1;
		}
		return ret;
	}
	if (kf_file_of(fd) != NULL) {
		/* the command file has no read (uverbs_main.c uverbs_fops) */
		errno = EINVAL;
		return -1;
	}
	return kf_real.read(fd, buf, count);
}

ssize_t
write(int fd, const void *buf, size_t count)
{
	struct kf_file *f = kf_file_of(fd);
	ssize_t ret;

	kf_resolve();

	if (f == NULL)
		return kf_real.write(fd, buf, count);
	ret = kf_cmd_write(f, buf, count);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

int
ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret;

	kf_resolve();

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (kf_file_of(fd) != NULL) {
		/*
		 * A kernel without the uverbs ioctl interface: ENOTTY for
		 * RDMA_VERBS_IOCTL and anything else, so that libibverbs
		 * marks every ioctl method unsupported and uses write.
		 */
		errno = ENOTTY;
		return -1;
	}
	if (kf_netdev_ioctl(req, arg, &ret)) {
		if (ret == 0)
			return 0;
		errno = -ret;
		return -1;
	}
	return kf_real.ioctl(fd, req, arg);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kf_file *f = kf_file_of(fd);

	kf_resolve();

	if (f == NULL)
		return kf_real.mmap(addr, len, prot, flags, fd, off);
	/*
	 * Linux mlx4_ib main.c mlx4_ib_mmap(): one page, at page offset 0
	 * the UAR, at 1 the BlueFlame registers (bf_reg_size != 0), 3 the
	 * clock page (not offered: query_device_ex reports no core clock
	 * offset); anything else -EINVAL. Both pages are plain memory here,
	 * the file's own (kf_open_node()): the device thread does not need
	 * doorbells, it watches the owner bits and doorbell records
	 * (mlx4r_kface_dev.c).
	 */
	if (f->ctx == NULL || len != (size_t)page ||
	    (off != 0 && off != page) || !(flags & MAP_SHARED)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	return kf_real.mmap(addr, len, prot | PROT_READ, flags, fd, off);
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return mmap(addr, len, prot, flags, fd, (off_t)off);
}

int
stat(const char *path, struct stat *st)
{
	kf_resolve();
	if (kf_is_node(path)) {
		if (kf_dev_gone()) {
			errno = ENOENT;
			return -1;
		}
		kf_fake_stat(st);
		return 0;
	}
	return kf_real.stat(path, st);
}

/* x86_64: struct stat64 is struct stat */
int
stat64(const char *path, struct stat64 *st)
{
	return stat(path, (struct stat *)st);
}

int
fstat(int fd, struct stat *st)
{
	kf_resolve();
	if (kf_file_of(fd) != NULL) {
		kf_fake_stat(st);
		return 0;
	}
	return kf_real.fstat(fd, st);
}

int
fstat64(int fd, struct stat64 *st)
{
	return fstat(fd, (struct stat *)st);
}

int
socket(int domain, int type, int protocol)
{
	kf_resolve();
	if (kf_enabled && domain == AF_NETLINK && protocol == NETLINK_RDMA) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	return kf_real.socket(domain, type, protocol);
}
