mod package_lock;
pub(crate) use package_lock::PackageLock;
