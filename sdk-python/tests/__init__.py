"""tensorscope SDK tests: /usr/bin/python3 -m unittest discover -s sdk-python/tests -t sdk-python"""
