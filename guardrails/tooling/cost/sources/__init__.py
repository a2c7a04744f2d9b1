"""Where spend comes from: cost report and FOCUS file readers, the Usage API, report downloads
from Object Storage.
"""
