# escape=`
# The same rule with the backtick as the escape character.
FROM scratch
RUN echo a``
RUN echo b
RUN echo c ```
RUN echo d
RUN echo e`
    f
COPY a.txt c:\dir\
RUN dir c:\
ENV P=c:\bin `
    Q=1
