/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Loading of the rdma-core backend.
 *
 * The backend lives in its own shared object, librte_net_mlx4r_verbs.so,
 * linked with libibverbs and libmlx4, and is opened with dlopen() the first
 * time a device asks for backend=verbs. librte_net_mlx4r.so itself does not
 * depend on rdma-core's libraries: it loads, and runs the emulated device,
 * on a machine without them. (The upstream mlx4 PMD offers the same choice
 * with its "glue" library; mlx4r always takes it.)
 *
 * Where the object is looked for, in order:
 *  1. $MLX4R_VERBS_GLUE, a full path;
 *  2. <directory of this object>-glue/: where meson install and the
 *     packages put it, out of the PMD directory that EAL loads whole
 *     (upstream mlx4 appends "-glue" to RTE_EAL_PMD_PATH the same way:
 *     drivers/net/mlx4/mlx4.c, mlx4_glue_path()). The directory is that of
 *     the real file, so a link to the plugin (the library directory's
 *     librte_net_mlx4r.so.23) and a DESTDIR tree find it too;
 *  3. beside this object (the build tree);
 *  4. the directory it was installed to (MLX4R_VERBS_GLUE_DIR, for a
 *     driver linked into an executable, e.g. mlx4r-fwd);
 *  5. the dynamic linker's search path (LD_LIBRARY_PATH, system dirs).
 * The first candidate file that exists is the one opened: if it fails to
 * load (rdma-core missing), its error is the one reported.
 */

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_string_fns.h>

#include "mlx4r.h"
#include "mlx4r_hw.h"

/* Both set by meson from the installed DPDK's ABI and PMD directory. */
#if !defined(MLX4R_VERBS_GLUE_NAME) || !defined(MLX4R_VERBS_GLUE_DIR)
#error "MLX4R_VERBS_GLUE_NAME and MLX4R_VERBS_GLUE_DIR come from meson (drivers/net/mlx4r/meson.build)"
#endif
#define MLX4R_VERBS_OPS_SYMBOL "mlx4r_hw_verbs_ops"

/* Loaded once, kept for the life of the process (probe runs on one thread). */
static const struct mlx4r_hw_ops *verbs_ops;
static void *verbs_handle;

static void *
mlx4r_verbs_try(const char *path, char *why, size_t len)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL)
		snprintf(why, len, "%s", dlerror());
	return h;
}

/*
 * Open dir/MLX4R_VERBS_GLUE_NAME if the file exists. Returns true when the
 * search is over: the file was there, *h holds the handle or NULL and err
 * the reason.
 */
static bool
mlx4r_verbs_try_dir(const char *dir, const char *suffix, void **h,
		    char *err, size_t len)
{
	char path[PATH_MAX];
	int n;

	if (dir[0] == '\0')
		return false;
	n = snprintf(path, sizeof(path), "%s%s/%s", dir, suffix,
		     MLX4R_VERBS_GLUE_NAME);
	if (n < 0 || (size_t)n >= sizeof(path) || access(path, F_OK) != 0)
		return false;
	*h = mlx4r_verbs_try(path, err, len);
	return true;
}

const struct mlx4r_hw_ops *
mlx4r_hw_verbs_backend(char *err, size_t len)
{
	char self[PATH_MAX];
	const char *env = getenv("MLX4R_VERBS_GLUE");
	const char *dir = "";
	Dl_info info;
	void *h = NULL;

	if (verbs_ops != NULL)
		return verbs_ops;
	if (env != NULL && env[0] != '\0') {
		h = mlx4r_verbs_try(env, err, len);
	} else {
		if (dladdr((void *)mlx4r_hw_verbs_backend, &info) != 0 &&
		    info.dli_fname != NULL &&
		    realpath(info.dli_fname, self) != NULL)
			dir = dirname(self);
		if (!mlx4r_verbs_try_dir(dir, "-glue", &h, err, len) &&
		    !mlx4r_verbs_try_dir(dir, "", &h, err, len) &&
		    !mlx4r_verbs_try_dir(MLX4R_VERBS_GLUE_DIR, "", &h, err, len))
			h = mlx4r_verbs_try(MLX4R_VERBS_GLUE_NAME, err, len);
	}
	if (h == NULL)
		return NULL; /* err holds dlerror() */
	verbs_ops = dlsym(h, MLX4R_VERBS_OPS_SYMBOL);
	if (verbs_ops == NULL) {
		snprintf(err, len, "%s", dlerror());
		dlclose(h);
		return NULL;
	}
	verbs_handle = h;
	return verbs_ops;
}
