# A line ending in an escaped escape character does not continue (BuildKit's rule: the last
# escape continues only when the character before it is not the escape character).
FROM scratch
RUN echo a\\
RUN echo b
RUN echo c \\\
RUN echo d
RUN echo e\
    f
RUN \
    echo g
ENV P=C:\\
LABEL x=y
RUN echo h\\ 	
RUN echo i
