// The libc import table of `glassbox scan`: which x86-64 syscalls each imported glibc function may
// make. This is what turns "imports connect" into "can reach the connect syscall" for a binary's
// own surface. Deliberately generous (fallback paths included): the surface must over-approximate.
// Written for glibc 2.36 (Debian 12) on x86-64; the dependency closure covers what this misses.
#include <glassbox/scan.hpp>

#include <algorithm>
#include <string>
#include <unordered_map>

namespace glassbox::scan {

namespace {

// "function[,alias...]:syscall[,syscall...]"
constexpr std::string_view kTable[] = {
    // files: open / create
    "open,open64,__open,__open64,__open_2,__open64_2:open,openat",
    "openat,openat64,__openat_2,__openat64_2:openat",
    "creat,creat64:creat,openat",
    "fopen,fopen64,freopen,freopen64,fdopen:openat,open,fcntl,lseek,read,write,close,newfstatat,"
    "fstat",
    "opendir,fdopendir:openat,open,newfstatat,fstat,getdents64,close,fcntl",
    "readdir,readdir64,readdir_r,readdir64_r,scandir,scandir64,scandirat,glob,glob64,ftw,nftw,"
    "nftw64,fts_open,fts_read:getdents64,openat,newfstatat,fstat,close,lstat,stat,fchdir",
    "closedir:close",
    "name_to_handle_at:name_to_handle_at",
    "open_by_handle_at:open_by_handle_at",
    "memfd_create:memfd_create",
    "tmpfile,tmpfile64,mkstemp,mkstemp64,mkostemp,mkostemps,mkstemps,mkdtemp,tempnam,tmpnam:openat,"
    "open,mkdir,unlink,getrandom,newfstatat",
    // files: I/O
    "read,__read_chk:read",
    "write:write",
    "pread,pread64,__pread64_chk:pread64",
    "pwrite,pwrite64:pwrite64",
    "readv:readv",
    "writev:writev",
    "preadv,preadv64,preadv2,preadv64v2:preadv,preadv2",
    "pwritev,pwritev64,pwritev2,pwritev64v2:pwritev,pwritev2",
    "fread,fread_unlocked,fgets,fgets_unlocked,getline,getdelim,__getdelim,fgetc,getc,getchar,"
    "fscanf,scanf,__isoc99_fscanf,__isoc99_scanf,__uflow,_IO_getc,__fread_chk,__fgets_chk:read,"
    "lseek,newfstatat,fstat",
    "fwrite,fwrite_unlocked,fputs,fputs_unlocked,puts,putchar,fputc,putc,fprintf,printf,vfprintf,"
    "vprintf,__printf_chk,__fprintf_chk,__vfprintf_chk,__vprintf_chk,fflush,fflush_unlocked,__"
    "overflow,_IO_putc,perror,putc_unlocked,fputc_unlocked,putchar_unlocked:write,lseek,newfstatat,"
    "fstat",
    "fclose,fcloseall:close,write,lseek,munmap",
    "fseek,fseeko,fseeko64,ftell,ftello,ftello64,rewind,fsetpos,fgetpos,lseek,lseek64,__lseek:"
    "lseek",
    "close,__close:close",
    "close_range:close_range",
    "closefrom:close_range,close",
    "dup:dup",
    "dup2:dup2",
    "dup3:dup3",
    "fcntl,fcntl64,__fcntl:fcntl",
    "ioctl:ioctl",
    "pipe:pipe,pipe2",
    "pipe2:pipe2",
    "mkfifo,mkfifoat:mknodat,mknod",
    "sendfile,sendfile64:sendfile",
    "splice:splice",
    "tee:tee",
    "vmsplice:vmsplice",
    "copy_file_range:copy_file_range",
    "fsync:fsync",
    "fdatasync:fdatasync",
    "sync:sync",
    "syncfs:syncfs",
    "sync_file_range:sync_file_range",
    "ftruncate,ftruncate64:ftruncate",
    "truncate,truncate64:truncate",
    "fallocate,fallocate64,posix_fallocate,posix_fallocate64:fallocate,pread64,pwrite64,newfstatat,"
    "fstat,fstatfs",
    "posix_fadvise,posix_fadvise64:fadvise64",
    "readahead:readahead",
    "flock:flock",
    "lockf,lockf64:fcntl",
    // files: metadata
    "stat,stat64,__xstat,__xstat64:newfstatat,stat",
    "lstat,lstat64,__lxstat,__lxstat64:newfstatat,lstat",
    "fstat,fstat64,__fxstat,__fxstat64:newfstatat,fstat",
    "fstatat,fstatat64,__fxstatat,__fxstatat64:newfstatat",
    "statx:statx",
    "statfs,statfs64,statvfs,statvfs64:statfs",
    "fstatfs,fstatfs64,fstatvfs,fstatvfs64:fstatfs",
    "access:access,faccessat,faccessat2",
    "faccessat,euidaccess,eaccess:faccessat,faccessat2,newfstatat",
    "chmod:chmod,fchmodat",
    "fchmod:fchmod",
    "fchmodat:fchmodat,fchmodat2,openat,fstatfs",
    "chown:chown,fchownat",
    "lchown:lchown,fchownat",
    "fchown:fchown",
    "fchownat:fchownat",
    "utime,utimes,lutimes,futimes,futimens,utimensat,futimesat:utimensat,utimes,utime",
    "umask:umask",
    "getxattr,lgetxattr,fgetxattr:getxattr,lgetxattr,fgetxattr",
    "setxattr,lsetxattr,fsetxattr:setxattr,lsetxattr,fsetxattr",
    "listxattr,llistxattr,flistxattr:listxattr,llistxattr,flistxattr",
    "removexattr,lremovexattr,fremovexattr:removexattr,lremovexattr,fremovexattr",
    // files: namespace
    "unlink:unlink,unlinkat",
    "unlinkat:unlinkat",
    "remove:unlink,unlinkat,rmdir",
    "rmdir:rmdir,unlinkat",
    "mkdir:mkdir,mkdirat",
    "mkdirat:mkdirat",
    "rename:rename,renameat,renameat2",
    "renameat:renameat,renameat2",
    "renameat2:renameat2",
    "link:link,linkat",
    "linkat:linkat",
    "symlink:symlink,symlinkat",
    "symlinkat:symlinkat",
    "readlink:readlink,readlinkat",
    "readlinkat:readlinkat",
    "realpath,canonicalize_file_name,__realpath_chk:readlink,readlinkat,newfstatat,getcwd,openat,"
    "close",
    "mknod,__xmknod:mknod,mknodat",
    "mknodat,__xmknodat:mknodat",
    "chdir:chdir",
    "fchdir:fchdir",
    "getcwd,get_current_dir_name,getwd:getcwd,newfstatat",
    "chroot:chroot",
    "pivot_root:pivot_root",
    "inotify_init:inotify_init,inotify_init1",
    "inotify_init1:inotify_init1",
    "inotify_add_watch:inotify_add_watch",
    "inotify_rm_watch:inotify_rm_watch",
    "fanotify_init:fanotify_init",
    "fanotify_mark:fanotify_mark",
    // memory / dynamic loading
    "mmap,mmap64:mmap",
    "munmap:munmap",
    "mprotect:mprotect",
    "mremap:mremap",
    "madvise:madvise",
    "mlock:mlock",
    "mlock2:mlock2",
    "munlock:munlock",
    "mlockall:mlockall",
    "munlockall:munlockall",
    "msync:msync",
    "mincore:mincore",
    "brk,sbrk:brk",
    "pkey_mprotect:pkey_mprotect",
    "malloc,calloc,realloc,free,posix_memalign,aligned_alloc,memalign,valloc,pvalloc,reallocarray:"
    "brk,mmap,munmap,mprotect,madvise,mremap",
    "shm_open:openat,open",
    "shm_unlink:unlink,unlinkat",
    "shmget:shmget",
    "shmat:shmat",
    "shmdt:shmdt",
    "shmctl:shmctl",
    "semget:semget",
    "semop:semop",
    "semtimedop:semtimedop",
    "semctl:semctl",
    "msgget:msgget",
    "msgsnd:msgsnd",
    "msgrcv:msgrcv",
    "msgctl:msgctl",
    "dlopen,dlmopen,__libc_dlopen_mode:openat,open,read,pread64,mmap,mprotect,munmap,newfstatat,"
    "fstat,close",
    // processes
    "fork,_Fork,__fork:clone,fork",
    "vfork,__vfork:vfork,clone",
    "clone:clone",
    "clone3:clone3",
    "posix_spawn,posix_spawnp:clone,clone3,vfork,execve,exit,exit_group,rt_sigprocmask,rt_"
    "sigaction,dup2,close,openat,chdir,fchdir,setsid,setpgid,sched_setparam,sched_setscheduler,"
    "setuid,setgid,getuid,getgid,geteuid,getegid,wait4",
    "execve,fexecve:execve,execveat",
    "execveat:execveat",
    "execv,execvp,execvpe,execl,execlp,execle:execve",
    "system,popen:clone,clone3,vfork,execve,wait4,rt_sigaction,rt_sigprocmask,pipe2,close,dup2,"
    "exit_group",
    "pclose:wait4,close",
    "exit,_exit,_Exit,abort,quick_exit:exit_group,exit,write,rt_sigprocmask,rt_sigaction,kill,"
    "tgkill,getpid,gettid",
    "wait,waitpid,wait3,wait4:wait4",
    "waitid:waitid",
    "kill:kill",
    "killpg:kill",
    "raise:tgkill,getpid,gettid,rt_sigprocmask",
    "tgkill:tgkill",
    "pthread_kill:tgkill,getpid",
    "sigqueue:rt_sigqueueinfo,getpid,getuid",
    "pidfd_open:pidfd_open",
    "pidfd_send_signal:pidfd_send_signal",
    "pidfd_getfd:pidfd_getfd",
    "signal,sigaction,__sysv_signal,bsd_signal,sysv_signal,sigset:rt_sigaction",
    "sigprocmask,pthread_sigmask,sigsuspend,sigpending,sigwait,sigwaitinfo,sigtimedwait:rt_"
    "sigprocmask,rt_sigsuspend,rt_sigpending,rt_sigtimedwait",
    "sigaltstack:sigaltstack",
    "signalfd:signalfd4",
    "setuid:setuid",
    "setgid:setgid",
    "seteuid:setresuid,setreuid",
    "setegid:setresgid,setregid",
    "setreuid:setreuid",
    "setregid:setregid",
    "setresuid:setresuid",
    "setresgid:setresgid",
    "setfsuid:setfsuid",
    "setfsgid:setfsgid",
    "setgroups,initgroups:setgroups",
    "capset:capset",
    "capget:capget",
    "prctl:prctl",
    "arch_prctl:arch_prctl",
    "setsid:setsid",
    "setpgid,setpgrp:setpgid",
    "getpgid,getpgrp:getpgid",
    "getsid:getsid",
    "getpid:getpid",
    "getppid:getppid",
    "gettid:gettid",
    "getuid:getuid",
    "geteuid:geteuid",
    "getgid:getgid",
    "getegid:getegid",
    "getresuid:getresuid",
    "getresgid:getresgid",
    "getgroups:getgroups",
    "setrlimit,setrlimit64:prlimit64,setrlimit",
    "getrlimit,getrlimit64:prlimit64,getrlimit",
    "prlimit,prlimit64:prlimit64",
    "getrusage:getrusage",
    "times:times",
    "nice:getpriority,setpriority",
    "setpriority:setpriority",
    "getpriority:getpriority",
    "sched_setaffinity,pthread_setaffinity_np:sched_setaffinity",
    "sched_getaffinity,pthread_getaffinity_np:sched_getaffinity",
    "sched_setscheduler:sched_setscheduler",
    "sched_getscheduler:sched_getscheduler",
    "sched_setparam:sched_setparam",
    "sched_getparam:sched_getparam",
    "sched_yield,pthread_yield:sched_yield",
    "pthread_setschedparam:sched_setscheduler,sched_setparam",
    "pthread_create:clone,clone3,mmap,mprotect,munmap,madvise,rt_sigprocmask,set_robust_list,rseq",
    "pthread_join,pthread_timedjoin_np,pthread_mutex_lock,pthread_mutex_unlock,pthread_mutex_"
    "timedlock,pthread_cond_wait,pthread_cond_timedwait,pthread_cond_signal,pthread_cond_broadcast,"
    "pthread_rwlock_rdlock,pthread_rwlock_wrlock,pthread_rwlock_unlock,sem_wait,sem_post,sem_"
    "timedwait,pthread_barrier_wait,pthread_once:futex,futex_waitv",
    "pthread_cancel:tgkill,rt_sigaction",
    "pthread_exit:exit,munmap,madvise",
    "unshare:unshare",
    "setns:setns",
    "personality:personality",
    "uname:uname",
    "sysinfo:sysinfo",
    "gethostname:uname",
    "sethostname:sethostname",
    "setdomainname:setdomainname",
    "getdomainname:uname",
    "ptrace:ptrace",
    "process_vm_readv:process_vm_readv",
    "process_vm_writev:process_vm_writev",
    "init_module:init_module",
    "finit_module:finit_module",
    "delete_module:delete_module",
    "mount:mount",
    "umount:umount2",
    "umount2:umount2",
    "reboot:reboot",
    "swapon:swapon",
    "swapoff:swapoff",
    "acct:acct",
    "quotactl:quotactl",
    "klogctl:syslog",
    "vhangup:vhangup",
    "iopl:iopl",
    "ioperm:ioperm",
    "settimeofday:settimeofday",
    "stime:settimeofday,clock_settime",
    "clock_settime:clock_settime",
    "adjtimex,ntp_adjtime,adjtime:adjtimex,clock_adjtime",
    "clock_adjtime:clock_adjtime",
    "keyctl:keyctl",
    "add_key:add_key",
    "request_key:request_key",
    "seccomp:seccomp",
    "fanotify:fanotify_init",
    "epoll_create:epoll_create,epoll_create1",
    "epoll_create1:epoll_create1",
    "epoll_ctl:epoll_ctl",
    "epoll_wait,epoll_pwait:epoll_wait,epoll_pwait",
    "epoll_pwait2:epoll_pwait2",
    "poll,__poll_chk:poll,ppoll",
    "ppoll:ppoll",
    "select:select,pselect6",
    "pselect:pselect6",
    "eventfd:eventfd2",
    "timerfd_create:timerfd_create",
    "timerfd_settime:timerfd_settime",
    "timerfd_gettime:timerfd_gettime",
    "io_uring_setup:io_uring_setup",
    "io_uring_enter:io_uring_enter",
    "io_uring_register:io_uring_register",
    // time
    "nanosleep,sleep,usleep:clock_nanosleep,nanosleep",
    "clock_nanosleep:clock_nanosleep",
    "alarm:alarm,setitimer",
    "setitimer:setitimer",
    "getitimer:getitimer",
    "timer_create:timer_create",
    "timer_settime:timer_settime",
    "timer_delete:timer_delete",
    "getrandom,getentropy:getrandom",
    // network
    "socket:socket",
    "socketpair:socketpair",
    "connect:connect",
    "bind:bind",
    "listen:listen",
    "accept:accept,accept4",
    "accept4:accept4",
    "shutdown:shutdown",
    "send:sendto",
    "sendto:sendto",
    "sendmsg:sendmsg",
    "sendmmsg:sendmmsg",
    "recv,__recv_chk:recvfrom",
    "recvfrom,__recvfrom_chk:recvfrom",
    "recvmsg:recvmsg",
    "recvmmsg:recvmmsg",
    "getsockname:getsockname",
    "getpeername:getpeername",
    "setsockopt:setsockopt",
    "getsockopt:getsockopt",
    "getaddrinfo,gethostbyname,gethostbyname2,gethostbyname_r,gethostbyname2_r,gethostbyaddr,"
    "gethostbyaddr_r,getnameinfo,res_query,res_search,res_nquery,res_nsearch,__res_query,__res_"
    "search,res_init,__res_init:socket,connect,sendto,sendmmsg,recvfrom,poll,close,openat,read,"
    "newfstatat,fstat,bind,getsockname,setsockopt,ioctl",
    "if_nametoindex,if_indextoname,if_nameindex,getifaddrs:socket,ioctl,close,bind,sendto,recvmsg,"
    "getsockname",
    // identity databases (NSS: files, and modules loaded with dlopen)
    "getpwnam,getpwuid,getpwnam_r,getpwuid_r,getpwent,getgrnam,getgrgid,getgrnam_r,getgrgid_r,"
    "getgrent,getgrouplist,getspnam,getspnam_r,getlogin,getlogin_r,getservbyname,getservbyport,"
    "getprotobyname:openat,read,close,newfstatat,fstat,lseek,socket,connect,sendto,recvmsg,poll,"
    "mmap,munmap",
    "syslog,vsyslog,openlog:socket,connect,sendto,close,openat,write,getpid",
};

struct table {
    std::unordered_map<std::string, std::vector<std::string_view>> by_function;
    table() {
        for (auto entry : kTable) {
            auto colon = entry.find(':');
            auto names = entry.substr(0, colon);
            auto calls = entry.substr(colon + 1);
            std::vector<std::string_view> sys;
            for (std::size_t b = 0; b <= calls.size();) {
                auto e = calls.find(',', b);
                if (e == std::string_view::npos)
                    e = calls.size();
                sys.push_back(calls.substr(b, e - b));
                b = e + 1;
            }
            for (std::size_t b = 0; b <= names.size();) {
                auto e = names.find(',', b);
                if (e == std::string_view::npos)
                    e = names.size();
                auto& v = by_function[std::string(names.substr(b, e - b))];
                v.insert(v.end(), sys.begin(), sys.end());
                b = e + 1;
            }
        }
    }
};

const table& the_table() {
    static const table t; // immutable after construction; thread-safe initialisation
    return t;
}

constexpr std::string_view kSensitiveImports[] = {"ptrace",
                                                  "process_vm_readv",
                                                  "process_vm_writev",
                                                  "init_module",
                                                  "finit_module",
                                                  "delete_module",
                                                  "mount",
                                                  "umount",
                                                  "umount2",
                                                  "pivot_root",
                                                  "chroot",
                                                  "unshare",
                                                  "setns",
                                                  "reboot",
                                                  "kexec_load",
                                                  "swapon",
                                                  "swapoff",
                                                  "iopl",
                                                  "ioperm",
                                                  "keyctl",
                                                  "add_key",
                                                  "request_key",
                                                  "fanotify_init",
                                                  "fanotify_mark",
                                                  "open_by_handle_at",
                                                  "name_to_handle_at",
                                                  "settimeofday",
                                                  "clock_settime",
                                                  "adjtimex",
                                                  "klogctl",
                                                  "capset",
                                                  "setuid",
                                                  "setgid",
                                                  "setreuid",
                                                  "setregid",
                                                  "setresuid",
                                                  "setresgid",
                                                  "setfsuid",
                                                  "setfsgid",
                                                  "setgroups",
                                                  "seteuid",
                                                  "setegid",
                                                  "execve",
                                                  "execv",
                                                  "execvp",
                                                  "execvpe",
                                                  "execl",
                                                  "execlp",
                                                  "execle",
                                                  "fexecve",
                                                  "execveat",
                                                  "system",
                                                  "popen",
                                                  "posix_spawn",
                                                  "posix_spawnp",
                                                  "memfd_create",
                                                  "dlopen",
                                                  "dlmopen",
                                                  "syscall",
                                                  "personality",
                                                  "prctl",
                                                  "seccomp",
                                                  "io_uring_setup",
                                                  "io_uring_enter",
                                                  "bpf",
                                                  "perf_event_open",
                                                  "socket",
                                                  "connect",
                                                  "bind",
                                                  "listen",
                                                  "accept",
                                                  "accept4",
                                                  "mprotect",
                                                  "pkey_mprotect",
                                                  "sethostname",
                                                  "quotactl",
                                                  "acct",
                                                  "vhangup"};

} // namespace

const std::vector<std::string_view>& libc_function_syscalls(std::string_view function) {
    static const std::vector<std::string_view> none;
    const auto& t = the_table().by_function;
    auto it = t.find(std::string(function));
    return it == t.end() ? none : it->second;
}

bool sensitive_import(std::string_view function) {
    return std::find(std::begin(kSensitiveImports), std::end(kSensitiveImports), function) !=
           std::end(kSensitiveImports);
}

} // namespace glassbox::scan
